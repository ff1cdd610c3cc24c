import { createHash } from "node:crypto";
import { type Page } from "@playwright/test";
import { test, expect } from "./helpers";
import AxeBuilder from "@axe-core/playwright";
import { PUBLIC_PAGES } from "./pages";

const BASE = process.env.BASE_URL || "http://127.0.0.1:3000";

for (const p of PUBLIC_PAGES) {
  test.describe(`page ${p.path}`, () => {
    test("renders with its title, description, canonical link and content", async ({ page }) => {
      const response = await page.goto(p.path);
      expect(response?.status()).toBe(200);
      await expect(page).toHaveTitle(p.title);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(p.heading);
      const description = await page.locator('meta[name="description"]').getAttribute("content");
      expect(description?.length ?? 0).toBeGreaterThan(50);
      await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", `${BASE}${p.path}`);
      for (const text of p.content) {
        await expect(page.getByText(text, { exact: false }).first()).toBeVisible();
      }
      await expect(page.getByRole("main")).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
      // Hydrated, with no Content-Security-Policy violation (checked after every test).
      await page.waitForLoadState("networkidle");
    });

    test("shows its full content with JavaScript off", async ({ browser }) => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      const response = await page.goto(p.path);
      expect(response?.status()).toBe(200);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(p.heading);
      for (const text of p.content) {
        await expect(page.getByText(text, { exact: false }).first()).toBeVisible();
      }
      await context.close();
    });

    for (const colorScheme of ["light", "dark"] as const) {
      test(`has no accessibility violations (${colorScheme})`, async ({ browser }) => {
        const context = await browser.newContext({ colorScheme });
        const page = await context.newPage();
        await page.goto(p.path);
        await page.waitForLoadState("networkidle");
        const results = await new AxeBuilder({ page }).analyze();
        expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
        await context.close();
      });
    }
  });
}

function expectSecurityHeaders(h: Record<string, string>) {
  const csp = h["content-security-policy"];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toMatch(/'unsafe-eval'/);
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(h["permissions-policy"]).toContain("camera=()");
  expect(h["cross-origin-opener-policy"]).toBe("same-origin");
  expect(h["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
}

test("public pages carry the security headers, and allow exactly their own inline scripts by hash", async ({ request }) => {
  for (const p of PUBLIC_PAGES) {
    const res = await request.get(p.path);
    const h = res.headers();
    expectSecurityHeaders(h);
    const csp = h["content-security-policy"];
    expect(csp, "a page for everyone has no nonce").not.toContain("'nonce-");
    const html = await res.text();
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
      .filter((m) => !/\ssrc=/.test(m[1]))
      .map((m) => m[2]);
    expect(inline.length).toBeGreaterThan(0);
    const allowed = new Set([...csp.matchAll(/'(sha256-[A-Za-z0-9+/=]+)'/g)].map((m) => m[1]));
    const hashes = new Set(inline.map((s) => "sha256-" + createHash("sha256").update(s, "utf8").digest("base64")));
    expect([...allowed].sort()).toEqual([...hashes].sort());
  }
});

test("a page drawn for one visitor has a fresh CSP nonce that every script carries", async ({ request }) => {
  const nonces = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const res = await request.get("/sign-in");
    const h = res.headers();
    expectSecurityHeaders(h);
    const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(h["content-security-policy"])?.[1];
    expect(nonce, "CSP has a script nonce").toBeTruthy();
    nonces.add(nonce!);
    const scripts = [...(await res.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) {
      expect(tag, "every script carries this response's nonce").toContain(`nonce="${nonce}"`);
    }
  }
  expect(nonces.size, "a fresh nonce per response").toBe(3);
});

test("the pricing toggle works only once the page has hydrated", async ({ browser, page }) => {
  // Without JavaScript the button is inert: the server-rendered monthly price stays.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const staticPage = await noJs.newPage();
  await staticPage.goto("/pricing");
  const team = (p: Page) => p.locator('[data-plan="Team"] [data-testid="price"]');
  await staticPage.getByRole("button", { name: "Show yearly prices" }).click();
  await expect(team(staticPage)).toHaveText("£29");
  await noJs.close();

  // With the WASM loaded, the same button switches the prices in place.
  await page.goto("/pricing");
  await page.waitForLoadState("networkidle");
  const toggle = page.getByRole("button", { name: "Show yearly prices" });
  await toggle.click();
  await expect(team(page)).toHaveText("£348");
  await expect(page.getByRole("button", { name: "Show monthly prices" })).toHaveAttribute("aria-pressed", "true");
});

test("client-side navigation keeps the page working", async ({ page }) => {
  await page.goto("/");
  await page.waitForLoadState("networkidle");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }).click();
  await expect(page).toHaveURL(`${BASE}/security`);
  await expect(page).toHaveTitle(/^Security · Ops Intel$/);
  await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", `${BASE}/security`);
});

test("an unknown address gets a real 404 page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Ops Intel");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.getByRole("link", { name: "Go to the home page" })).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
});

test("security.txt follows RFC 9116 with one future expiry", async ({ request }) => {
  const res = await request.get("/.well-known/security.txt");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toBe("text/plain; charset=utf-8");
  const lines = (await res.text()).trim().split("\n");
  const field = (name: string) => lines.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
  expect(field("Contact")).toEqual(["mailto:security@opsintel.test"]);
  const expires = field("Expires");
  expect(expires).toHaveLength(1);
  const when = Date.parse(expires[0]);
  expect(when).toBeGreaterThan(Date.now());
  expect(when).toBeLessThan(Date.now() + 366 * 24 * 3600 * 1000);
  expect(field("Preferred-Languages")).toEqual(["en"]);
  expect(field("Canonical")).toEqual([`${BASE}/.well-known/security.txt`]);
  expect(field("Policy")).toEqual([`${BASE}/security/disclosure`]);
});

test("the disclosure policy security.txt names states the process and the contact", async ({ page }) => {
  await page.goto("/security");
  await page.getByRole("link", { name: "disclosure policy" }).click();
  await expect(page).toHaveURL(`${BASE}/security/disclosure`);
  await expect(page.getByText("within 3 business days")).toBeVisible();
  await expect(page.getByText("within 30 days").first()).toBeVisible();
  await expect(page.getByTestId("disclosure-contact")).toHaveAttribute("href", "mailto:security@opsintel.test");
});

test("each statement on the Security page links to how it is tested", async ({ page }) => {
  await page.goto("/security");
  await page.waitForLoadState("networkidle");
  const statements = page.locator("ol.commitments > li");
  const count = await statements.count();
  expect(count).toBeGreaterThan(10);
  for (let i = 0; i < count; i++) {
    await expect(statements.nth(i).getByRole("link", { name: /^How we test this/ })).toBeVisible();
  }
  await page.getByRole("link", { name: /^How we test this.*Your organisation's data is yours alone$/ }).click();
  await expect(page).toHaveURL(`${BASE}/security/testing#isolation`);
  const section = page.locator("section#isolation");
  await expect(section.getByRole("heading", { level: 2 })).toHaveText("Your organisation's data is yours alone");
  await section.getByText(/^The tests/).click();
  await expect(section.locator("code").first()).toBeVisible();
});

test("robots.txt and the sitemap list the public pages", async ({ request }) => {
  const robots = await (await request.get("/robots.txt")).text();
  expect(robots).toContain(`Sitemap: ${BASE}/sitemap.xml`);
  const sitemap = await request.get("/sitemap.xml");
  expect(sitemap.headers()["content-type"]).toContain("application/xml");
  const xml = await sitemap.text();
  for (const p of PUBLIC_PAGES) expect(xml).toContain(`<loc>${BASE}${p.path}</loc>`);
});
