import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";

/**
 * What went wrong in the running test's pages, any of them: Content-Security-Policy violations and
 * panics of the page's code (after one, the page no longer answers).
 */
const violations: string[] = [];
const watched = new WeakSet<BrowserContext>();

/** Every page in the context reports a violation of its Content-Security-Policy and a panic. */
async function watchPages(context: BrowserContext) {
  if (watched.has(context)) return;
  watched.add(context);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(
        `Content-Security-Policy violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`,
      ),
    );
    // A document being left has its downloads cancelled (a page's code still arriving among
    // them), and what that makes it say no longer reaches anyone: it is marked as such.
    let leaving = false;
    addEventListener("beforeunload", () => (leaving = true));
    addEventListener("pagehide", () => (leaving = true));
    const error = console.error.bind(console);
    console.error = (...args: unknown[]) => (leaving ? error("[left]", ...args) : error(...args));
  });
  context.on("console", (msg) => {
    const text = msg.text();
    if (text.startsWith("[left]")) return;
    if (/Content.Security.Policy/i.test(text) || /panicked at/.test(text)) {
      violations.push(`${msg.page()?.url()}: ${text.split("\n\nStack:")[0]}`);
    }
  });
}

/**
 * The suite's `test`: every page any test opens, signed in or not, in its own browser context or
 * in another it makes, is watched, and a Content-Security-Policy violation or a panic in the
 * page's code fails the test.
 */
export const test = base.extend<{ pagesClean: void }>({
  pagesClean: [
    async ({ browser, context }, use) => {
      violations.length = 0;
      await watchPages(context);
      const open = browser.newContext;
      browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const made = await open.apply(browser, args);
        await watchPages(made);
        return made;
      };
      try {
        await use();
      } finally {
        browser.newContext = open;
      }
      expect(violations, "Content-Security-Policy violations and panics").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export const PASSWORD = "tangerine lighthouse 42";

export function uniqueEmail(tag: string): string {
  return `${tag}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** The page is live: its code loaded and hydrated, so a click is handled by it. */
export async function hydrated(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/**
 * Runs `act` as a visitor from an address of its own: the server under test trusts the loopback
 * proxy's forwarding header, as production trusts its proxy. Every sign-up goes through this, so
 * the suite's sign-ups are not counted together against one address's hourly limit. Afterwards
 * the page is this machine's again, whose browsers may open the development mailbox.
 */
async function asAnotherVisitor(page: Page, act: () => Promise<void>) {
  const address = `198.51.100.${1 + Math.floor(Math.random() * 254)}`;
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": address });
  try {
    await act();
  } finally {
    await page.setExtraHTTPHeaders({});
  }
}

export async function signUp(page: Page, email: string, name = "Robin Example") {
  await page.goto("/sign-up");
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await asAnotherVisitor(page, async () => {
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  });
}

/** The first link in the latest development-mailbox email to `email` whose text matches. */
export async function linkInMailbox(page: Page, email: string, subject: RegExp | string, link: RegExp): Promise<string> {
  await page.goto("/dev/mailbox");
  const message = page.locator(".mailbox li").filter({ hasText: `To ${email}` }).first();
  await expect(message).toContainText(subject);
  const href = await message.getByRole("link", { name: link }).first().getAttribute("href");
  expect(href).toBeTruthy();
  return href!;
}

export async function openVerificationLink(page: Page, email: string) {
  await page.goto(await linkInMailbox(page, email, "Confirm your email address for Ops Intel", /verify-email\?token=/));
  await expect(page.getByRole("heading", { name: "Confirm your email address" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL(/verified/);
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in and waits until the app has taken the user onwards. */
export async function signedIn(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** A new person opens their invitation, creates an account with the invited address, signs in and accepts. */
export async function acceptAsNewcomer(browser: Browser, owner: Page, email: string, name: string): Promise<Page> {
  const link = await linkInMailbox(owner, email, /Join .* on Ops Intel/, /\/invite\//);
  const page = await (await browser.newContext()).newPage();
  await page.goto(link);
  await expect(page.getByText(`to join`)).toContainText(email);
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByLabel("Email address")).toHaveValue(email);
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await asAnotherVisitor(page, async () => {
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  });

  await page.goto(link);
  await page.getByRole("link", { name: "Sign in" }).last().click();
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/invite\//);
  await hydrated(page);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  return page;
}


/** A new user, signed up, verified and signed in, who creates an organisation; its slug. */
export async function ownerOfNewOrganisation(page: Page, tag: string, name: string, organisation: string): Promise<string> {
  const email = uniqueEmail(tag);
  await signUp(page, email, name);
  await openVerificationLink(page, email);
  await signedIn(page, email);
  await page.goto("/o");
  await hydrated(page);
  await page.getByLabel("Name").fill(organisation);
  await page.getByLabel("Address (optional)").fill(`${tag}-${Date.now()}`);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  return new URL(page.url()).pathname.split("/")[2];
}

/**
 * A statement run as an operator would from the command line (`psql` as the database's
 * administrator, E2E_DATABASE_URL): for what only an operator does, such as putting an
 * organisation on a plan.
 */
export function operatorSql(sql: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set");
  return execFileSync("psql", [url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" }).trim();
}

/** RFC 4648 base32, as the two-factor set-up page shows the key. */
export function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 with HMAC-SHA1, six digits, 30-second steps, `offset` steps from now. */
export function totp(secret: Buffer, offset = 0): string {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(at) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, "0");
}

/** Turns on two-factor sign-in for the signed-in page's user; the key. */
export async function turnOnTwoFactor(page: Page): Promise<Buffer> {
  await page.goto("/account/two-factor");
  await hydrated(page);
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const secret = base32Decode((await page.getByTestId("totp-secret").textContent())!.trim());
  await page.getByLabel("Code from your app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page.getByTestId("recovery-codes").locator("li")).toHaveCount(10);
  return secret;
}

/**
 * The server's command line, as an operator runs it on a server of this deployment
 * (E2E_SERVER_BIN, with the deployment's database connections): for what only an operator does,
 * such as naming staff.
 */
export function serverCommand(args: string[]): string {
  const bin = process.env.E2E_SERVER_BIN;
  if (!bin) throw new Error("E2E_SERVER_BIN is not set");
  return execFileSync(bin, args, {
    encoding: "utf8",
    env: {
      ...process.env,
      OPS_ENV: "development",
      DATABASE_URL: process.env.E2E_APP_DATABASE_URL,
      OPS_MIGRATION_DATABASE_URL: process.env.E2E_OWNER_DATABASE_URL,
      RUST_LOG: "warn",
    },
  }).trim();
}
