import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { acceptAsNewcomer, hydrated, openVerificationLink, signedIn, signUp, uniqueEmail, test, expect } from "./helpers";

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

/** At phone width the page itself never scrolls sideways (wide tables and charts scroll inside). */
async function fitsPhoneWidth(page: Page) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${page.url()} scrolls sideways at phone width`).toBeLessThanOrEqual(0);
  if (size) await page.setViewportSize(size);
}

async function openIssue(page: Page, title: string, priority: string, business?: string) {
  await page.getByLabel("Title").fill(title);
  await page.locator("#ni-priority").selectOption({ label: priority });
  if (business) await page.locator("#ni-business").selectOption({ label: business });
  await page.getByRole("button", { name: "Open issue" }).click();
  await expect(page.getByRole("status").filter({ hasText: "opened." })).toBeVisible();
  await expect(page.locator("table.issues")).toContainText(title);
}

test("a new user sets up a workspace: a business, three issues, the board, a comment and filters", async ({ page, browser }) => {
  test.setTimeout(180_000);
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
  const csv = page.getByLabel("CSV", { exact: true });
  await csv.fill("name,relationship,address,phone,website,notes,tags\nDales Dairy,supplier,Leyburn,,,,milk\nMystery,friend,,,,,\n");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "need fixing" })).toContainText("1 of 2 rows need fixing; nothing was written.");
  await expect(page.getByRole("status").filter({ hasText: "need fixing" })).toContainText("Line 3: relationship");
  await csv.fill("name,relationship,address,phone,website,notes,tags\nDales Dairy,supplier,Leyburn,,,,milk\n");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported" })).toContainText("Imported 1 rows.");
  // A file chosen from the picker is read into the box and previewed at once.
  await page.getByLabel("Or choose a CSV file").setInputFiles({
    name: "more.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("name,relationship,address,phone,website,notes,tags\nFell Farm Eggs,supplier,Hawes,,,,eggs\n"),
  });
  await expect(page.getByRole("status").filter({ hasText: "ready" })).toContainText("1 rows are ready to import.");
  await expect(csv).toHaveValue(/Fell Farm Eggs/);
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported" })).toContainText("Imported 1 rows.");

  // One of the organisation's own sites.
  await page.locator("#bf-name").fill("Quayside Whitby");
  await page.locator("#bf-relationship").selectOption({ label: "Own site" });
  await page.getByRole("button", { name: "Add business" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Business added." })).toBeVisible();

  // Three issues.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await openIssue(page, "Espresso machine leaking", "Urgent", "Quayside Whitby");
  await openIssue(page, "Order more oat milk", "Normal");
  await openIssue(page, "Repaint the terrace rail", "Low");
  await noAxeViolations(page);

  // The dashboard counts them, and narrows to a site in place, without a reload.
  await page.goto(`/o/${slug}/dashboard`);
  await hydrated(page);
  const figure = (name: string) => page.locator(`[data-figure="${name}"]`);
  await expect(figure("open")).toHaveText("3");
  await expect(page.locator("#by-priority")).toContainText("Urgent: 1, High: 0, Normal: 1, Low: 1");
  await expect(page.locator("#by-site")).toContainText("Quayside Whitby: 1, Not at a site: 2");
  await expect(page.locator("#by-site svg")).toBeVisible();
  // Every bar is named under the axis, and the value axis's top label is inside the drawing.
  await expect(page.locator("#by-priority svg text.name")).toHaveText(["Urgent", "High", "Normal", "Low"]);
  const drawing = await page.locator("#by-priority svg").boundingBox();
  const top = await page.locator("#by-priority svg .axis text").last().boundingBox();
  expect(top && drawing && top.y >= drawing.y).toBe(true);
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByLabel("Site", { exact: true }).selectOption({ label: "Quayside Whitby" });
  await expect(page).toHaveURL(/site=/);
  await expect(figure("open")).toHaveText("1");
  await page.getByLabel("Period").selectOption({ label: "Last 7 days" });
  await expect(page).toHaveURL(/days=7/);
  await expect(page.locator("#weekly-said")).toContainText("1 opened");
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await noAxeViolations(page);
  await page.emulateMedia({ colorScheme: "dark" });
  await noAxeViolations(page);
  await page.emulateMedia({ colorScheme: "light" });
  await fitsPhoneWidth(page);

  // Move one across the board with the keyboard-friendly control, and one by dragging it.
  await page.goto(`/o/${slug}/board`);
  await hydrated(page);
  const card = page.locator('li.card[data-number="1"]');
  const column = (status: string) => page.locator(`section[data-status="${status}"]`);
  await expect(column("open")).toContainText("Espresso machine leaking");
  await expect(column("open").getByTestId("count")).toHaveText("3");
  // Nothing went wrong, so no alert box is drawn.
  await expect(page.getByRole("alert")).toHaveCount(0);
  await card.getByLabel("Move #1 to").selectOption({ label: "In progress" });
  await card.getByRole("button", { name: "Move" }).click();
  await expect(page.locator('section[data-status="in_progress"]')).toContainText("Espresso machine leaking");
  await expect(column("open").getByTestId("count")).toHaveText("2");
  await expect(column("in_progress").getByTestId("count")).toHaveText("1");
  await page.locator('li.card[data-number="2"]').dragTo(page.locator('section[data-status="blocked"]'));
  await expect(page.locator('section[data-status="blocked"]')).toContainText("Order more oat milk");
  await noAxeViolations(page);
  await fitsPhoneWidth(page);

  // Someone else changes #3 meanwhile: moving this board's stale card is refused and undone.
  const other = await page.context().newPage();
  await other.goto(`/o/${slug}/issues/3`);
  await hydrated(other);
  await other.locator("#e-status").selectOption({ label: "Blocked" });
  await other.getByRole("button", { name: "Save changes" }).click();
  await expect(other.locator(".activity")).toContainText("changed status from Open to Blocked");
  await expect(other.locator("#e-status")).toHaveValue("blocked");
  await other.close();
  const stale = page.locator('li.card[data-number="3"]');
  await stale.getByLabel("Move #3 to").selectOption({ label: "Resolved" });
  await stale.getByRole("button", { name: "Move" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "could not be moved" })).toContainText("#3 could not be moved to Resolved");
  await expect(page.locator('section[data-status="open"]')).toContainText("Repaint the terrace rail");
  await expect(page.locator('section[data-status="resolved"]')).not.toContainText("Repaint the terrace rail");
  await page.reload();
  await expect(page.locator('section[data-status="blocked"]')).toContainText("Repaint the terrace rail");

  // Comment on it, with a double click that sends it once; the activity shows the move too.
  await page.goto(`/o/${slug}/issues/1`);
  await hydrated(page);
  await page.getByLabel("Add a comment").fill("Engineer booked for 9am. https://example.com/job/42");
  await page.getByRole("button", { name: "Comment" }).dblclick();
  await expect(page.locator(".activity .comment")).toContainText("Engineer booked for 9am.");
  await expect(page.locator(".activity a")).toHaveAttribute("href", "https://example.com/job/42");
  await expect(page.locator(".activity")).toContainText("changed status from Open to In progress");
  await page.reload();
  await expect(page.locator(".activity .comment")).toHaveCount(1);
  // The fields are in the panel beside the text, each changed in place.
  await expect(page.getByRole("complementary", { name: "Details" }).getByLabel("Priority")).toHaveValue("urgent");
  await noAxeViolations(page);

  // Archiving asks first, takes the issue off the list, and is undone from the archive.
  await page.goto(`/o/${slug}/issues/3`);
  await hydrated(page);
  await page.getByText("Archive issue").click();
  await expect(page.getByText("Archive #3?")).toBeVisible();
  await page.getByRole("button", { name: "Archive it" }).click();
  await expect(page.getByTestId("archived-banner")).toBeVisible();
  await noAxeViolations(page);
  await page.goto(`/o/${slug}/issues`);
  await expect(page.locator("table.issues")).not.toContainText("Repaint the terrace rail");
  await page.goto(`/o/${slug}/issues?archived=true`);
  await page.getByRole("link", { name: /Repaint the terrace rail/ }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByTestId("archived-banner")).toHaveCount(0);
  await expect(page.locator(".activity")).toContainText("restored the issue");

  // Words find an issue by its comment.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await page.getByLabel("Words").fill("engineer");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=engineer/);
  await expect(page.locator("table.issues tbody tr")).toHaveCount(1);
  await expect(page.locator("table.issues")).toContainText("Espresso machine leaking");

  // Filter the list.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "In progress" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=in_progress/);
  await expect(page.locator("table.issues tbody tr")).toHaveCount(1);
  await expect(page.locator("table.issues")).toContainText("Espresso machine leaking");

  // Resolve two at once; the dashboard follows.
  await page.goto(`/o/${slug}/issues?order=priority`);
  await hydrated(page);
  await expect(page.getByRole("button", { name: "Select issues to change" })).toBeDisabled();
  await page.getByLabel("Select #2").check();
  await page.getByLabel("Select #3").check();
  await page.getByLabel("Set status").selectOption({ label: "Resolved" });
  await page.getByRole("button", { name: "Change 2 issues" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Changed" })).toHaveText("Changed 2 issues.");
  await expect(page.locator('tr[data-number="2"]')).toContainText("Resolved");
  await expect(page.locator('tr[data-number="3"]')).toContainText("Resolved");
  await fitsPhoneWidth(page);
  await page.goto(`/o/${slug}/dashboard`);
  await expect(figure("open")).toHaveText("1");
  await expect(figure("resolved")).toHaveText("2");

  // An address with nothing at it gets a 404 inside the organisation's frame.
  const missing = await page.goto(`/o/${slug}/issues/999`);
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Organisation" })).toBeVisible();
  await noAxeViolations(page);

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
  await expect(viewer.getByRole("form", { name: "Change the selected issues" })).toHaveCount(0);
  await expect(viewer.getByLabel("Select #1")).toHaveCount(0);
  await expect(viewer.getByText("Import issues from CSV")).toHaveCount(0);
  await viewer.goto(`/o/${slug}/board`);
  await expect(viewer.locator('section[data-status="in_progress"]')).toContainText("Espresso machine leaking");
  await expect(viewer.getByRole("button", { name: "Move" })).toHaveCount(0);
  await viewer.goto(`/o/${slug}/issues/1`);
  await expect(viewer.locator(".activity")).toContainText("Engineer booked for 9am.");
  await expect(viewer.getByRole("complementary", { name: "Details" })).toContainText("In progress");
  await expect(viewer.getByRole("button", { name: "Comment" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Save changes" })).toHaveCount(0);
  await viewer.goto(`/o/${slug}/businesses`);
  await expect(viewer.locator("table")).toContainText("Harbour Roasters");
  await expect(viewer.getByRole("button", { name: "Add business" })).toHaveCount(0);
  await noAxeViolations(viewer);
  await viewer.goto(`/o/${slug}/dashboard`);
  await expect(viewer.locator('[data-figure="open"]')).toHaveText("1");
  await expect(viewer.locator('[data-figure="resolved"]')).toHaveText("2");
  await noAxeViolations(viewer);
});
