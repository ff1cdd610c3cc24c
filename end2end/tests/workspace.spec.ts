import { test, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { acceptAsNewcomer, hydrated, openVerificationLink, signedIn, signUp, uniqueEmail } from "./helpers";

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

async function openIssue(page: Page, title: string, priority: string) {
  await page.getByLabel("Title").fill(title);
  await page.locator("#ni-priority").selectOption({ label: priority });
  await page.getByRole("button", { name: "Open issue" }).click();
  await expect(page.getByRole("status")).toContainText("opened.");
  await expect(page.locator("table.issues")).toContainText(title);
}

test("a new user sets up a workspace: a business, three issues, the board, a comment and filters", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const email = uniqueEmail("workspace");
  await signUp(page, email, "Wren Worker");
  await openVerificationLink(page, email);
  await signedIn(page, email);
  await page.goto("/o");
  await hydrated(page);
  await page.getByLabel("Name").fill("Quayside Cafés");
  await page.getByLabel("Address (optional)").fill(`quayside-${Date.now()}`);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  const slug = new URL(page.url()).pathname.split("/")[2];

  // A business, found again by its address.
  await page.goto(`/o/${slug}/businesses`);
  await hydrated(page);
  await expect(page.getByText("No businesses match.")).toBeVisible();
  await page.locator("#bf-name").fill("Harbour Roasters");
  await page.locator("#bf-relationship").selectOption({ label: "Supplier" });
  await page.locator("#bf-address").fill("3 Harbour Row, Whitby");
  await page.getByRole("button", { name: "Add business" }).click();
  await expect(page.getByRole("status")).toHaveText("Business added.");
  await page.locator("#b-q").fill("whitby");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("table")).toContainText("Harbour Roasters");
  await noAxeViolations(page);

  // A CSV import is checked whole first; a bad row writes nothing.
  await hydrated(page);
  const csv = page.getByLabel("CSV");
  await csv.fill("name,relationship,address,phone,website,notes,tags\nDales Dairy,supplier,Leyburn,,,,milk\nMystery,friend,,,,,\n");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "need fixing" })).toContainText("1 of 2 rows need fixing; nothing was written.");
  await expect(page.getByRole("status").filter({ hasText: "need fixing" })).toContainText("Line 3: relationship");
  await csv.fill("name,relationship,address,phone,website,notes,tags\nDales Dairy,supplier,Leyburn,,,,milk\n");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported" })).toHaveText("Imported 1 rows.");

  // Three issues.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await openIssue(page, "Espresso machine leaking", "Urgent");
  await openIssue(page, "Order more oat milk", "Normal");
  await openIssue(page, "Repaint the terrace rail", "Low");
  await noAxeViolations(page);

  // Move one across the board with the keyboard-friendly control.
  await page.goto(`/o/${slug}/board`);
  await hydrated(page);
  const card = page.locator('li.card[data-number="1"]');
  await expect(page.locator('section[data-status="open"]')).toContainText("Espresso machine leaking");
  await card.getByLabel("Move #1 to").selectOption({ label: "In progress" });
  await card.getByRole("button", { name: "Move" }).click();
  await expect(page.locator('section[data-status="in_progress"]')).toContainText("Espresso machine leaking");
  await noAxeViolations(page);

  // Comment on it; the timeline shows the move.
  await page.goto(`/o/${slug}/issues/1`);
  await hydrated(page);
  await page.getByLabel("Add a comment").fill("Engineer booked for 9am. https://example.com/job/42");
  await page.getByRole("button", { name: "Comment" }).click();
  await expect(page.locator(".comments")).toContainText("Engineer booked for 9am.");
  await expect(page.locator(".comments a")).toHaveAttribute("href", "https://example.com/job/42");
  await expect(page.locator(".timeline")).toContainText("changed status from Open to In progress");
  await noAxeViolations(page);

  // Filter the list.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await page.getByLabel("Status").selectOption({ label: "In progress" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=in_progress/);
  await expect(page.locator("table.issues tbody tr")).toHaveCount(1);
  await expect(page.locator("table.issues")).toContainText("Espresso machine leaking");

  // A Viewer sees the same data and is offered nothing that changes it.
  const viewerEmail = uniqueEmail("viewer");
  await page.goto(`/o/${slug}/members`);
  await hydrated(page);
  await page.getByLabel("Email address").fill(viewerEmail);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Viewer" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toContainText("Invitation sent.");
  const viewer = await acceptAsNewcomer(browser, page, viewerEmail, "Vic Viewer");
  await viewer.goto(`/o/${slug}/issues`);
  await expect(viewer.locator("table.issues")).toContainText("Order more oat milk");
  await expect(viewer.getByRole("button", { name: "Open issue" })).toHaveCount(0);
  await expect(viewer.getByText("Import issues from CSV")).toHaveCount(0);
  await viewer.goto(`/o/${slug}/board`);
  await expect(viewer.locator('section[data-status="in_progress"]')).toContainText("Espresso machine leaking");
  await expect(viewer.getByRole("button", { name: "Move" })).toHaveCount(0);
  await viewer.goto(`/o/${slug}/issues/1`);
  await expect(viewer.locator(".comments")).toContainText("Engineer booked for 9am.");
  await expect(viewer.getByRole("button", { name: "Comment" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Save changes" })).toHaveCount(0);
  await viewer.goto(`/o/${slug}/businesses`);
  await expect(viewer.locator("table")).toContainText("Harbour Roasters");
  await expect(viewer.getByRole("button", { name: "Add business" })).toHaveCount(0);
  await noAxeViolations(viewer);
});
