import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { acceptAsNewcomer, hydrated, ownerOfNewOrganisation, uniqueEmail, test, expect } from "./helpers";

/** The Owner on `page` invites `email` as a Manager, who accepts as a new user: their page. */
async function managerJoins(page: Page, browser: Browser, slug: string, email: string, name: string): Promise<Page> {
  await page.goto(`/o/${slug}/members`);
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Manager" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toContainText("Invitation sent.");
  return acceptAsNewcomer(browser, page, email, name);
}

/** Opens an issue from the list page; its page. */
async function openIssue(page: Page, slug: string, title: string) {
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Open issue" }).click();
  await expect(page.getByRole("status").filter({ hasText: "opened." })).toBeVisible();
}

test("an invitation accepted and an issue assigned reach the bell, and the assignee's email", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const slug = await ownerOfNewOrganisation(page, "bell-owner", "Bea Bell", "Bell Street Bakery");

  // A Manager joins: the Owner, who invited them, hears of it.
  const managerEmail = uniqueEmail("bell-manager");
  const manager = await managerJoins(page, browser, slug, managerEmail, "Max Manager");
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

test("typing @ in a comment completes a member's name, and the member is told", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const slug = await ownerOfNewOrganisation(page, "mention-owner", "Mo Mention", "Mention Mews");
  const member = await managerJoins(page, browser, slug, uniqueEmail("mention-member"), "Nia Newcomer");
  await openIssue(page, slug, "Broken chair");
  await page.goto(`/o/${slug}/issues/1`);
  await hydrated(page);

  const box = page.getByLabel("Add a comment");
  await box.pressSequentially("Could you look, @ni");
  const options = page.getByRole("listbox", { name: "Members to mention" });
  await expect(options.getByRole("option")).toHaveText(["Nia Newcomer"]);
  await expect(box).toHaveAttribute("aria-activedescendant", /c-body-mentions-0/);
  const results = await new AxeBuilder({ page }).include(".mention-box").analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  // Escape closes the list; typing on opens it again; Enter chooses.
  await box.press("Escape");
  await expect(options).toBeHidden();
  await box.press("Backspace");
  await box.pressSequentially("i");
  await expect(options.getByRole("option")).toHaveText(["Nia Newcomer"]);
  await box.press("Enter");
  await expect(box).toHaveValue("Could you look, @Nia Newcomer ");
  await expect(options).toBeHidden();
  await box.pressSequentially("please?");
  await page.getByRole("button", { name: "Comment" }).click();
  await expect(page.locator(".activity .comment")).toContainText("Could you look, @Nia Newcomer please?");
  await expect(box).toHaveValue("");

  await member.goto(`/o/${slug}/issues`);
  await hydrated(member);
  const bell = member.getByTestId("bell");
  await bell.locator("summary").click();
  await expect(bell).toContainText("Mo Mention mentioned you on #1 Broken chair");
  await member.context().close();
});

test("the weekly digest preview shows the week, and the reader can sign up for it", async ({ page }) => {
  test.setTimeout(90_000);
  const slug = await ownerOfNewOrganisation(page, "digest-owner", "Dee Digest", "Digest Deli");
  await openIssue(page, slug, "Fridge seal split");
  await page.goto(`/o/${slug}/dashboard`);
  await hydrated(page);
  await page.getByRole("link", { name: "The weekly digest of these figures" }).click();
  await expect(page.getByRole("heading", { name: "Weekly digest", level: 1 })).toBeVisible();
  const preview = page.getByTestId("digest-preview");
  await expect(preview.getByRole("heading")).toHaveText("Digest Deli: your week in Ops Intel");
  await expect(preview).toContainText("Issues opened1");
  await preview.getByText("The email as text").click();
  await expect(page.getByTestId("digest-text")).toContainText("Issues opened: 1");
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);

  await hydrated(page);
  await page.getByRole("button", { name: "Send me this every Monday" }).click();
  await expect(page.getByTestId("digest-subscribed")).toBeVisible();
  await page.goto("/account");
  await expect(page.getByTestId("weekly-digest-state")).toContainText("Every Monday morning you get an email");
});
