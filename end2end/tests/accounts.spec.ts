import AxeBuilder from "@axe-core/playwright";
import { readFileSync } from "node:fs";
import { PASSWORD, hydrated, openVerificationLink, signIn, signUp, signedIn, uniqueEmail, test, expect } from "./helpers";

test("sign up, verify from the mailbox, sign in from a public page and sign out", async ({ browser }) => {
  const email = uniqueEmail("robin");
  const first = await (await browser.newContext()).newPage();
  await signUp(first, email);
  await openVerificationLink(first, email);
  await expect(first.getByRole("status")).toHaveText("Your email address is confirmed. Sign in to continue.");

  // A visitor who arrives on a public page starts no session there. The sign-in form is then
  // drawn in the browser, on a page that had no token: the app asks for the session's before
  // it posts.
  const page = await (await browser.newContext()).newPage();
  await page.goto("/");
  await hydrated(page);
  expect(await page.context().cookies()).toEqual([]);
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), "no reload").toBe(true);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Your account", exact: true })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  // The header says who is signed in, on every page, the public ones included.
  const header = page.getByRole("navigation", { name: "Main" });
  await expect(header.getByTestId("signed-in-as")).toHaveText("Robin Example");
  await expect(header.getByRole("link", { name: "Sign in" })).toHaveCount(0);
  await header.getByRole("link", { name: "Pricing" }).click();
  await expect(header.getByTestId("signed-in-as")).toHaveText("Robin Example");

  await header.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(header.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(header.getByTestId("signed-in-as")).toHaveCount(0);
  await page.goto("/account");
  await expect(page.getByText("You are not signed in.")).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  await first.context().close();
  await page.context().close();
});

test("an unverified account sees only the verify page, with a resend button", async ({ page }) => {
  const email = uniqueEmail("unverified");
  await signUp(page, email);
  await signIn(page, email);
  await expect(page.getByRole("heading", { name: "Verify your email address" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Send a new link" }).click();
  await expect(page.getByRole("status")).toHaveText("A new link is on its way.");
});

test("the sign-up form checks the password as it is typed", async ({ page }) => {
  await page.goto("/sign-up");
  await hydrated(page);
  await page.getByLabel("Your name").fill("Sam Smith");
  await page.getByLabel("Email address").fill("sam.smith@example.com");
  await page.getByLabel("Password").fill("sam.smith rocks!");
  await expect(page.locator("#password-error")).toHaveText(/must not contain your email/);
  await page.getByLabel("Password").fill("short");
  await expect(page.locator("#password-error")).toHaveText("Use at least 10 characters.");
  await page.getByLabel("Password").fill(PASSWORD);
  await expect(page.locator("#password-error")).toHaveText("");
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  // The list of common passwords is the server's: the browser lets one pass as it is typed, and
  // the server's answer names the rule (a refused form is not a sign-up attempt).
  await page.getByLabel("Password").fill("password123");
  await expect(page.locator("#password-error")).toHaveText("");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#password-error")).toHaveText(/most commonly used/);
});

test("a wrong password gets one message for every case, then the account is throttled", async ({ page }) => {
  const email = uniqueEmail("throttle");
  await signUp(page, email);
  await signIn(page, email, "not my password");
  await expect(page.getByRole("alert")).toHaveText("Incorrect email address or password.");
  await signIn(page, uniqueEmail("nobody"), "not my password");
  await expect(page.getByRole("alert")).toHaveText("Incorrect email address or password.");
  for (let i = 0; i < 5; i++) {
    await signIn(page, email, `wrong guess ${i}`);
    await expect(page.getByRole("alert")).toBeVisible();
  }
  await signIn(page, email);
  await expect(page.getByRole("alert")).toHaveText(/Too many attempts\. Please wait \d+ (seconds|minutes) and try again\./);
});

test("sign-in works with JavaScript off", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = uniqueEmail("nojs");
  await page.goto("/sign-up");
  await page.getByLabel("Your name").fill("No Script");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.goto("/sign-in");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Verify your email address" })).toBeVisible();
  await context.close();
});

test("forgot password, reset from the mailbox, and every old session is signed out", async ({ browser, page }) => {
  const email = uniqueEmail("reset");
  await signUp(page, email);
  await signIn(page, email);
  await expect(page.getByRole("heading", { name: "Verify your email address" })).toBeVisible();

  const other = await browser.newContext();
  const helper = await other.newPage();
  await helper.goto("/sign-in");
  await helper.getByRole("link", { name: "Forgot your password?" }).click();
  await hydrated(helper);
  await helper.getByLabel("Email address").fill(email);
  await helper.getByRole("button", { name: "Send me a link" }).click();
  await expect(helper.getByText("we have sent it a link to choose a new password")).toBeVisible();

  await helper.goto("/dev/mailbox");
  const message = helper.locator(".mailbox li").filter({ hasText: "Reset your Ops Intel password" }).filter({ hasText: email });
  await message.getByRole("link", { name: /reset-password\?token=/ }).click();
  await hydrated(helper);
  await helper.getByLabel("New password").fill("a completely new pass phrase");
  await helper.getByRole("button", { name: "Set new password" }).click();
  await expect(helper.getByRole("status")).toContainText("every session was signed out");
  await signIn(helper, email, "a completely new pass phrase");
  await expect(helper.getByRole("heading", { name: "Your account", exact: true })).toBeVisible();
  await expect(helper.getByRole("heading", { name: "Where you are signed in" })).toBeVisible();
  await expect(helper.locator('.sessions li[data-current="true"]')).toHaveCount(1);
  await other.close();

  await page.goto("/account");
  await expect(page.getByText("You are not signed in.")).toBeVisible();
});

test("a person downloads a copy of their own data from the account page", async ({ page }) => {
  const email = uniqueEmail("mydata");
  await signUp(page, email, "Dana Data");
  await openVerificationLink(page, email);
  await signedIn(page, email);
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("button", { name: "Prepare my data" }).click();
  const link = page.getByRole("link", { name: /^Download ops-intel-my-data-\d{4}-\d{2}-\d{2}\.zip$/ });
  await expect(link).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id)).toEqual([]);
  const download = page.waitForEvent("download");
  await link.click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^ops-intel-my-data-.*\.zip$/);
  // A ZIP archive: its local file header's signature first.
  const bytes = readFileSync(await file.path());
  expect(bytes.subarray(0, 4).toString("hex")).toBe("504b0304");
});
