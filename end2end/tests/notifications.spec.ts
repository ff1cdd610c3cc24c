import AxeBuilder from "@axe-core/playwright";
import { acceptAsNewcomer, hydrated, ownerOfNewOrganisation, uniqueEmail, test, expect } from "./helpers";

test("an invitation accepted and an issue assigned reach the bell, and the assignee's email", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const slug = await ownerOfNewOrganisation(page, "bell-owner", "Bea Bell", "Bell Street Bakery");

  // A Manager joins: the Owner, who invited them, hears of it.
  const managerEmail = uniqueEmail("bell-manager");
  await page.goto(`/o/${slug}/members`);
  await hydrated(page);
  await page.getByLabel("Email address").fill(managerEmail);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Manager" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toContainText("Invitation sent.");
  const manager = await acceptAsNewcomer(browser, page, managerEmail, "Max Manager");
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  const bell = page.getByTestId("bell");
  await expect(bell.getByTestId("unread")).toContainText("1");
  await bell.locator("summary").click();
  await expect(bell).toContainText("Max Manager accepted your invitation and joined as Manager");

  // The Owner opens an issue assigned to the Manager.
  await page.getByLabel("Title").fill("Oven door sticks");
  await page.locator("#ni-assignee").selectOption({ label: "Max Manager" });
  await page.getByRole("button", { name: "Open issue" }).click();
  await expect(page.getByRole("status").filter({ hasText: "opened." })).toBeVisible();

  // The Manager's bell shows it, unread; opening it goes to the issue and marks it read.
  await manager.goto(`/o/${slug}/dashboard`);
  await hydrated(manager);
  const theirs = manager.getByTestId("bell");
  await expect(theirs.getByTestId("unread")).toContainText("1");
  await theirs.locator("summary").click();
  const note = theirs.getByRole("link", { name: "Bea Bell assigned #1 Oven door sticks to you" });
  await expect(note).toBeVisible();
  const results = await new AxeBuilder({ page: manager }).include("[data-testid=bell]").analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  await note.click();
  await expect(manager).toHaveURL(new RegExp(`/o/${slug}/issues/1$`));
  await expect(manager.getByRole("heading", { name: "#1 Oven door sticks" })).toBeVisible();
  await expect(theirs.getByTestId("unread")).toHaveCount(0);

  // And by email, batched: it arrives in the development mailbox within the batch's seconds.
  await expect(async () => {
    await manager.goto("/dev/mailbox");
    const email = manager.locator(".mailbox li").filter({ hasText: `To ${managerEmail}` }).filter({ hasText: "Oven door sticks" });
    await expect(email).toContainText("Bea Bell assigned #1 Oven door sticks to you", { timeout: 1_000 });
    await expect(email).toContainText("Stop all notification emails");
  }).toPass({ timeout: 30_000 });
  await manager.context().close();
});
