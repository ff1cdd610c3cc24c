import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { acceptAsNewcomer, hydrated, operatorSql, ownerOfNewOrganisation, uniqueEmail, test, expect } from "./helpers";

// The server under test runs with the development stand-ins (OPS_STANDINS=1), Stripe's among
// them (server/src/standins/stripe.rs): its Checkout and portal pages stand in for Stripe's own,
// and it sends the server Stripe's events, signed.

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

test("an Owner upgrades through Stripe's Checkout and back; an Admin sees the page without its buttons; a Manager is refused", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // Our pages log no error (Stripe's stand-in pages are not ours).
  const errors: string[] = [];
  const ours = new URL(test.info().project.use.baseURL ?? "http://127.0.0.1").origin;
  page.on("console", (m) => {
    if (m.type() === "error" && m.location().url.startsWith(ours)) errors.push(`${m.location().url}: ${m.text()}`);
  });
  const slug = await ownerOfNewOrganisation(page, "billing", "Bea Billing", "Bramble Bistros");
  // A new organisation in production starts on Free; this server's default is Business.
  operatorSql(`update organisations set plan = 'free' where slug = '${slug}'`);

  await page.goto(`/o/${slug}/billing`);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Plan and billing" })).toBeVisible();
  await expect(page.getByTestId("plan")).toHaveText("Free");
  await expect(page.getByRole("row", { name: /Members/ })).toContainText("3");
  await noAxeViolations(page);

  // To Stripe's Checkout, pay with a test card, and back.
  await page.getByRole("button", { name: /Upgrade to Team/ }).click();
  await expect(page.getByRole("heading", { name: "Subscribe to Team" })).toBeVisible({ timeout: 20_000 });
  expect(new URL(page.url()).pathname).toMatch(/^\/c\/pay\/cs_test_/);
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("04 / 30");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}/billing\\?checkout=done$`));
  await hydrated(page);
  await expect(page.getByTestId("checkout-done")).toBeVisible();
  // Stripe's events arrive, are applied by a job, and the page shows them without a reload.
  await expect(page.getByTestId("plan")).toHaveText("Team", { timeout: 30_000 });
  await expect(page.getByTestId("billing-status")).toHaveText("Active");
  await expect(page.getByTestId("card")).toHaveText("Visa ending 4242, expires 04/2030");
  await expect(page.getByRole("row", { name: /Members/ })).toContainText("15");
  await expect(page.getByRole("button", { name: /Upgrade to/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Change plan, card or cancel" })).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("table").last()).toContainText("£29.00");
  await noAxeViolations(page);
  // The audit log has the change.
  await page.goto(`/o/${slug}/audit`);
  await expect(page.getByText("The plan changed from Free to Team")).toBeVisible();

  // An Admin sees the page, without the buttons.
  const adminEmail = uniqueEmail("billing-admin");
  await page.goto(`/o/${slug}/members`);
  await hydrated(page);
  await page.getByLabel("Email address").fill(adminEmail);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Admin" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toHaveText("Invitation sent. The link works for 7 days.");
  const admin = await acceptAsNewcomer(browser, page, adminEmail, "Ada Admin");
  await admin.goto(`/o/${slug}/billing`);
  await hydrated(admin);
  await expect(admin.getByTestId("plan")).toHaveText("Team");
  await expect(admin.getByText("Only an Owner can change the plan or the card.")).toBeVisible();
  await expect(admin.getByRole("button", { name: /Upgrade|Change plan/ })).toHaveCount(0);
  await noAxeViolations(admin);

  // As a Manager, the page is refused (403) and the tab is gone.
  operatorSql(`update memberships set role = 'manager' where user_id = (select user_id from users where email = '${adminEmail}')`);
  const refused = await admin.goto(`/o/${slug}/billing`);
  expect(refused?.status()).toBe(403);
  await expect(admin.getByRole("alert")).toContainText("does not allow you to see billing");
  await expect(admin.getByRole("link", { name: "Billing", exact: true })).toHaveCount(0);

  expect(errors).toEqual([]);
});

test("a plan's limit names itself and links to the billing page", async ({ page }) => {
  const slug = await ownerOfNewOrganisation(page, "limits", "Lou Limits", "Little Larders");
  operatorSql(`update organisations set plan = 'free' where slug = '${slug}'`);
  // Free allows 3 members, pending invitations included: the Owner and two invitations fit.
  await page.goto(`/o/${slug}/members`);
  await hydrated(page);
  for (const n of [1, 2]) {
    await page.getByLabel("Email address").fill(uniqueEmail(`seat${n}`));
    await page.getByRole("button", { name: "Send invitation" }).click();
    await expect(page.getByRole("status")).toHaveText("Invitation sent. The link works for 7 days.");
  }
  await page.getByLabel("Email address").fill(uniqueEmail("seat3"));
  await page.getByRole("button", { name: "Send invitation" }).click();
  const alert = page.locator(".form-error");
  await expect(alert).toContainText("The Free plan allows 3 members (pending invitations included), and this would make 4.");
  await alert.getByRole("link", { name: "Plans and billing" }).click();
  await expect(page.getByRole("heading", { name: "Plan and billing" })).toBeVisible();
});
