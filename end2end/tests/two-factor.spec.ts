import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { base32Decode, hydrated, openVerificationLink, signIn, signUp, totp, uniqueEmail, test, expect } from "./helpers";

async function signOut(page: Page) {
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("main").getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
}

test("enable two-factor, then sign in with a code and with a recovery code, and be refused a wrong code", async ({ page }) => {
  const email = uniqueEmail("twofactor");
  await signUp(page, email);
  await openVerificationLink(page, email);
  await signIn(page, email);
  await expect(page.getByRole("heading", { name: "Your account", exact: true })).toBeVisible();

  // Set up: the QR code and the key as text; on only after a right code.
  await page.getByRole("link", { name: "Set up or manage two-factor sign-in" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor sign-in" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = base32Decode((await page.getByTestId("totp-secret").textContent())!.trim());
  await page.getByLabel("Code from your app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  const codes = page.getByTestId("recovery-codes").locator("li");
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().textContent())!.trim();
  await expect(page.getByRole("link", { name: "Download the codes as text" })).toHaveAttribute("download", "ops-intel-recovery-codes.txt");
  await expect(page.getByTestId("two-factor-state")).toHaveText("Two-factor sign-in is on. You have 10 unused recovery codes.");
  // The set-up page with its QR code and recovery codes on it.
  expect((await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id)).toEqual([]);

  // The password alone no longer signs in; a wrong code is refused.
  await signOut(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/sign-in\/two-factor$/);
  await hydrated(page);
  const right = totp(secret, 1); // the next step's: the current one turned two-factor on
  const wrong = right.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
  await page.getByLabel("Authentication code").fill(wrong);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.locator(".field-error")).toContainText("That code is not right");
  // The second step, with its error shown.
  expect((await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id)).toEqual([]);
  await page.goto("/account");
  await expect(page.getByText("You are not signed in.")).toBeVisible();

  // With a code from the app.
  await signIn(page, email);
  await expect(page).toHaveURL(/\/sign-in\/two-factor$/);
  await hydrated(page);
  await page.getByLabel("Authentication code").fill(right);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Your account", exact: true })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();

  // With a recovery code, which says how many are left.
  await signOut(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/sign-in\/two-factor$/);
  await hydrated(page);
  await page.getByLabel("Authentication code").fill(recovery);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Your account", exact: true })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("You have 9 recovery codes left");

  // The emails say what happened.
  await page.goto("/dev/mailbox");
  const mail = page.locator(".mailbox li").filter({ hasText: `To ${email}` });
  await expect(mail.filter({ hasText: "Two-factor sign-in is on for your Ops Intel account" })).toHaveCount(1);
  await expect(mail.filter({ hasText: "A recovery code was used" })).toHaveCount(1);
});
