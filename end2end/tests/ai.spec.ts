import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, operatorSql, ownerOfNewOrganisation, test, expect } from "./helpers";

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

// The server under test calls Anthropic's stand-in (server/src/standins/anthropic.rs) at
// ANTHROPIC_STANDIN_URL, whose `GET /standin/requests` lists every request body it was sent, and
// receives mail through SendGrid's stand-in at SENDGRID_STANDIN_URL.
const anthropic = process.env.ANTHROPIC_STANDIN_URL ?? "";
const sendgrid = process.env.SENDGRID_STANDIN_URL ?? "";

async function inboundAddress(page: Page, slug: string): Promise<string> {
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  return (await page.getByTestId("inbound-address").textContent())!.trim();
}

async function deliver(page: Page, to: string, subject: string, text: string) {
  const sent = await page.request.post(`${sendgrid}/standin/inbound`, {
    data: { from: "sam@customer.example", from_name: "Sam Patel", to, subject, text, message_id: `${Date.now()}.${Math.random()}@customer.example` },
  });
  expect((await sent.json()).status).toBe(200);
}

/** The stand-in's requests that mention `words`. */
async function requestsAbout(page: Page, words: string): Promise<any[]> {
  const all: any[] = await (await page.request.get(`${anthropic}/standin/requests`)).json();
  return all.filter((b) => JSON.stringify(b).includes(words));
}

test("with AI off, the controls say why they are absent and nothing is sent", async ({ page }) => {
  test.skip(!anthropic || !sendgrid, "needs the Anthropic and SendGrid stand-ins");
  const slug = await ownerOfNewOrganisation(page, "aioff", "Olive Off", "Quiet Kitchens");
  const to = await inboundAddress(page, slug);
  await expect(page.getByTestId("ai-state")).toContainText("AI is off");
  await expect(page.getByTestId("ai-statement")).toContainText("sent to Anthropic");
  const subject = `Allergy question ${Date.now()}`;
  await deliver(page, to, subject, "Do your scones contain nuts?");

  await page.goto(`/o/${slug}/inbox`);
  await hydrated(page);
  await page.getByRole("link", { name: subject }).click();
  await hydrated(page);
  await expect(page.getByTestId("ai-absent")).toContainText("AI is off for this organisation");
  await expect(page.getByTestId("draft-absent")).toContainText("AI is off for this organisation");
  await expect(page.getByRole("button", { name: "Draft a reply with AI" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Triage again" })).toHaveCount(0);
  expect(await requestsAbout(page, subject)).toEqual([]);
});

test("with AI on, a message is triaged and accepted, and a draft is edited and sent", async ({ page }) => {
  test.skip(!anthropic || !sendgrid, "needs the Anthropic and SendGrid stand-ins");
  test.setTimeout(120_000);
  // Every page below hydrates without a mismatch (server-rendered and browser views agree).
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text().slice(0, 300));
  });
  const slug = await ownerOfNewOrganisation(page, "aion", "Aria On", "Harbour Kitchens");
  // Until billing exists, an operator puts the organisation on a plan with AI requests.
  operatorSql(`update organisations set plan = 'team' where slug = '${slug}'`);

  // The Owner switches AI on, reading what is sent.
  const to = await inboundAddress(page, slug);
  await page.getByLabel("Use AI for triage and reply drafts").check();
  await page.getByLabel("Signature under drafts").fill("Harbour Kitchens");
  await page.getByRole("button", { name: "Save AI settings" }).click();
  await expect(page.getByTestId("ai-state")).toContainText("AI is on");

  const subject = `Cold food on Saturday ${Date.now()}`;
  await deliver(page, to, subject, "Our soup was cold and we waited an hour. Really disappointed.");
  await page.goto(`/o/${slug}/inbox`);
  await hydrated(page);
  const row = page.getByRole("row").filter({ hasText: subject });
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText("Complaint", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row).toContainText("Suggested");
  await row.getByRole("link", { name: subject }).click();
  await hydrated(page);
  await expect(page.getByTestId("triage-suggestion")).toContainText("Complaint");

  // Accepted with a change: the list shows it as the team's, and filters by it.
  await page.getByLabel("Urgency", { exact: true }).selectOption({ label: "Urgent" });
  await page.getByRole("button", { name: "Accept triage" }).click();
  await expect(page.getByTestId("triage-accepted")).toContainText("Complaint · urgent urgency");

  // A draft lands in the composer, marked, is edited, and is sent only when asked.
  await page.getByRole("button", { name: "Draft a reply with AI" }).click();
  const composer = page.getByLabel(/Reply to sam@customer.example/);
  await expect(composer).toHaveValue(/^Hello Sam,/, { timeout: 30_000 });
  await expect(page.getByTestId("ai-draft")).toBeVisible();
  await expect(page.locator(".message.reply")).toHaveCount(0);
  await composer.fill(`${await composer.inputValue()}\n\nPS: your next soup is on us.`);
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.locator(".message.reply")).toContainText("your next soup is on us");
  await expect(page.locator(".message.reply")).toContainText("AI draft, edited");
  expect((await requestsAbout(page, subject)).length).toBe(2);

  await page.goto(`/o/${slug}/inbox?status=all&category=complaint&urgency=urgent`);
  await hydrated(page);
  await expect(page.getByRole("row").filter({ hasText: subject })).toBeVisible();
  await page.goto(`/o/${slug}/inbox?status=all&category=praise`);
  await hydrated(page);
  await expect(page.getByRole("row").filter({ hasText: subject })).toHaveCount(0);

  // The record shows both calls.
  await page.goto(`/o/${slug}/ai`);
  await hydrated(page);
  await expect(page.getByRole("row").filter({ hasText: "Triage" })).toHaveCount(1);
  await expect(page.getByRole("row").filter({ hasText: "Draft" })).toHaveCount(1);
  await expect(page.getByTestId("ai-allowance")).toContainText("998 of 1000 AI requests left");
  await noAxeViolations(page);
  // The thread, server-rendered with its suggestion and the sent draft.
  await page.goto(`/o/${slug}/inbox?status=all`);
  await hydrated(page);
  await page.goto((await page.getByRole("link", { name: subject }).getAttribute("href"))!);
  await hydrated(page);
  await expect(page.locator(".message.reply")).toContainText("AI draft, edited");
  await noAxeViolations(page);
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  await noAxeViolations(page);
  expect(errors).toEqual([]);
});
