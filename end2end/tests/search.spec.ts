import AxeBuilder from "@axe-core/playwright";
import { hydrated, ownerOfNewOrganisation, test, expect } from "./helpers";

test("the header's search finds issues and businesses from the keyboard, and ? lists the shortcuts", async ({ page }) => {
  test.setTimeout(90_000);
  const slug = await ownerOfNewOrganisation(page, "search-owner", "Sol Search", "Searchlight Cafés");
  await page.goto(`/o/${slug}/businesses`);
  await hydrated(page);
  await page.locator("#bf-name").fill("Ovenworks Supplies");
  await page.locator("#bf-relationship").selectOption({ label: "Supplier" });
  await page.getByRole("button", { name: "Add business" }).click();
  await expect(page.getByRole("status")).toHaveText("Business added.");
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  for (const title of ["Oven door sticks", "Till roll low"]) {
    await page.getByLabel("Title").fill(title);
    await page.getByRole("button", { name: "Open issue" }).click();
    await expect(page.locator("table.issues")).toContainText(title);
  }

  // "/" from anywhere but a field puts the cursor in the search box.
  await page.locator("h1").click();
  await page.keyboard.press("/");
  const box = page.getByRole("combobox", { name: "Search businesses, issues and conversations" });
  await expect(box).toBeFocused();
  await page.keyboard.type("oven");
  const results = page.getByRole("listbox", { name: "Results" });
  await expect(results.getByRole("option")).toHaveText(["Issue #1 Oven door sticks", "Business Ovenworks Supplies"]);
  await expect(box).toHaveAttribute("aria-activedescendant", "hit-0");
  const axe = await new AxeBuilder({ page }).include(".org-tools").analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await page.keyboard.press("ArrowDown");
  await expect(box).toHaveAttribute("aria-activedescendant", "hit-1");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/o/${slug}/issues/1$`));
  await expect(page.getByRole("heading", { name: "#1 Oven door sticks" })).toBeVisible();

  // "?" lists the shortcuts; Escape closes the list.
  await page.locator("h1").click();
  await page.keyboard.press("?");
  const list = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(list).toContainText("Search businesses, issues and conversations");
  await page.keyboard.press("Escape");
  await expect(list).toHaveCount(0);
});
