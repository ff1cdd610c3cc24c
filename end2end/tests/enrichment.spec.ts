import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, openVerificationLink, signedIn, signUp, uniqueEmail, test, expect } from "./helpers";

// The server under test enriches through the Google Places stand-in (OPS_STANDINS), whose
// catalogue has one Minster Bakery in York, two Harbour Cafés (Whitby and Scarborough) and a
// few more places around Yorkshire.

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

async function addBusiness(page: Page, slug: string, name: string, relationship: string, address: string) {
  await page.goto(`/o/${slug}/businesses`);
  await hydrated(page);
  await page.locator("#bf-name").fill(name);
  await page.locator("#bf-relationship").selectOption({ label: relationship });
  await page.locator("#bf-address").fill(address);
  await page.getByRole("button", { name: "Add business" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Business added." })).toBeVisible();
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
  await hydrated(page);
}

test("businesses are enriched from Google Maps: a match, a choice between two, and enrich all to the end", async ({ page }) => {
  test.setTimeout(180_000);
  const email = uniqueEmail("enrich");
  await signUp(page, email, "Gale Google");
  await openVerificationLink(page, email);
  await signedIn(page, email);
  await page.goto("/o");
  await hydrated(page);
  await page.getByLabel("Name").fill("Yorkshire Bakes");
  await page.getByLabel("Address (optional)").fill(`yorkshire-bakes-${Date.now()}`);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  const slug = new URL(page.url()).pathname.split("/")[2];

  // One plain match: found while the page is open, Google's values beside the user's own.
  await addBusiness(page, slug, "Minster Bakery", "Supplier", "Petergate, York");
  const google = page.locator("section.enrichment");
  await expect(google.locator('[data-enrichment="matched"]')).toHaveText("Found on Google Maps.");
  await expect(google.locator("table.google")).toContainText("22 Low Petergate, York YO1 7HZ, UK");
  await expect(google.locator("table.google")).toContainText("4.7 out of 5 from 954 reviews");
  await expect(google.getByRole("link", { name: "Google Maps" })).toHaveAttribute("href", /maps\.google\.com/);
  await expect(page.locator("dl.facts")).not.toContainText("01904 620789");
  await google.getByRole("button", { name: "Use this phone from Google" }).click();
  await expect(page.locator("dl.facts")).toContainText("01904 620789");
  await expect(page.locator("dl.facts")).toContainText("Petergate, York");
  await noAxeViolations(page);

  // Two places of the same name: the user chooses, seeing each one's address.
  await addBusiness(page, slug, "Harbour Café", "Competitor", "");
  await expect(google.getByRole("group", { name: "Which of these is the business?" })).toBeVisible();
  await expect(google.getByLabel(/Harbour Café – 14 Pier Road, Whitby/)).toBeVisible();
  await expect(google.getByRole("link", { name: /See on Google Maps\s*: Harbour Café, 14 Pier Road/ })).toHaveAttribute("href", /^https:\/\//);
  await noAxeViolations(page);
  await google.getByLabel(/Harbour Café – 3 Sandside, Scarborough/).check();
  await google.getByRole("button", { name: "Use this choice" }).click();
  await expect(google.locator('[data-enrichment="matched"]')).toBeVisible();
  await expect(google.locator("table.google")).toContainText("3 Sandside, Scarborough YO11 1PE, UK");

  // An import looks its rows up as one run, and "enrich all" tries the rest again: each
  // run's progress moves on the page to its summary.
  await page.goto(`/o/${slug}/businesses`);
  await hydrated(page);
  await page.getByLabel("CSV", { exact: true }).fill(
    "name,relationship,address,phone,website,notes,tags\n" +
      "The Copper Kettle,competitor,Harrogate,,,,\n" +
      "Bean There Roasters,supplier,Leeds,,,,\n" +
      "Dales Dairy Supplies,supplier,Skipton,,,,\n" +
      "Nowhere Tearoom,customer,Atlantis,,,,\n",
  );
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported" })).toContainText("Looking up the 4 businesses on Google Maps");
  const run = page.locator("section.enrich-all");
  await expect(run.locator("progress")).toHaveAttribute("max", "4");
  await expect(run.getByRole("status")).toHaveText("Enrichment finished. Matched 3, needs a choice 0, not found 1, failed for now 0.", { timeout: 30_000 });
  await expect(run.locator("progress")).toHaveAttribute("value", "4");
  await run.getByRole("button", { name: "Enrich all from Google Maps" }).click();
  await expect(run.locator("progress")).toHaveAttribute("max", "1");
  await expect(run.getByRole("status")).toHaveText("Enrichment finished. Matched 0, needs a choice 0, not found 1, failed for now 0.", { timeout: 30_000 });
  // A new organisation here is on the development default, Business: 5,000 a month.
  await expect(run).toContainText("of 5000 enrichments left this month");
  await noAxeViolations(page);

  // The dashboard compares own sites with competitors by rating (none of its own yet).
  await page.goto(`/o/${slug}/dashboard`);
  await hydrated(page);
  await expect(page.locator("#ratings-said")).toContainText("The Copper Kettle (competitor): 3.9 from 276 reviews");
  await expect(page.locator("#ratings-said")).toContainText("Harbour Café (competitor): 4.1 from 188 reviews");
  await noAxeViolations(page);
});
