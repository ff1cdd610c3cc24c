import AxeBuilder from "@axe-core/playwright";
import { hydrated, ownerOfNewOrganisation, test, expect } from "./helpers";

// The browser is in Tokyo.
test.use({ timezoneId: "Asia/Tokyo" });

test("times are shown in the zone the browser had at sign-up, then in the one chosen", async ({ page }) => {
  test.setTimeout(120_000);
  const slug = await ownerOfNewOrganisation(page, "zone-owner", "Zoe Zone", "Zone Street Café");

  // Guessed at sign-up, from the browser.
  await page.goto("/account");
  await hydrated(page);
  const zone = page.getByLabel("Your time zone");
  await expect(zone).toHaveValue("Asia/Tokyo");

  // An issue's times: relative, with the exact time in Tokyo on hover.
  await page.goto(`/o/${slug}/issues`);
  await hydrated(page);
  await page.getByLabel("Title").fill("Sign above the door");
  await page.getByRole("button", { name: "Open issue" }).click();
  await expect(page.getByRole("status").filter({ hasText: "opened." })).toBeVisible();
  await page.goto(`/o/${slug}/issues/1`);
  const opened = page.locator("dl.facts time").first();
  await expect(opened).toHaveText(/just now|minute/);
  await expect(opened).toHaveAttribute("title", / JST$/);

  // Another zone chosen: the same moment, shown in it.
  await page.goto("/account");
  await hydrated(page);
  await zone.selectOption("Europe/Paris");
  await page.locator("form", { has: zone }).getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Time zone saved." })).toBeVisible();
  await expect(page.getByTestId("browser-zone")).toHaveText("This browser is set to Asia/Tokyo.");
  const results = await new AxeBuilder({ page }).include("#time-zone-select").analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  await page.goto(`/o/${slug}/issues/1`);
  await expect(page.locator("dl.facts time").first()).toHaveAttribute("title", / CES?T$/);

  // The organisation's days are its first Owner's zone until its settings say otherwise.
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  await expect(page.getByLabel("Time zone")).toHaveValue("Asia/Tokyo");
  await page.getByLabel("Time zone").selectOption("Europe/London");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/London");
});
