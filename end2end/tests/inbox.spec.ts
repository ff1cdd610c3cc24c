import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, ownerOfNewOrganisation, test, expect } from "./helpers";

// The server under test sends and receives mail through SendGrid's stand-in
// (server/src/standins/sendgrid/), at SENDGRID_STANDIN_URL: `POST /standin/inbound` delivers an
// email to the server's Inbound Parse webhook, signed as SendGrid signs it, and
// `GET /standin/sent` lists what Mail Send accepted.
const standin = process.env.SENDGRID_STANDIN_URL ?? "";

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

test("a customer's email arrives, is assigned, answered, turned into an issue and closed", async ({ page, request }) => {
  test.skip(!standin, "needs the SendGrid stand-in");
  test.setTimeout(120_000);
  const slug = await ownerOfNewOrganisation(page, "inbox", "Ines Inbox", "Quayside Cafés");

  // The organisation's receiving address is in its settings.
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  const address = (await page.getByTestId("inbound-address").textContent())!.trim();
  expect(address).toMatch(/^inbox-[0-9]+-[0-9a-f]{8}@in\.opsintel\.test$/);

  // A customer writes, in HTML with a script and a tracking pixel.
  const sent = await request.post(`${standin}/standin/inbound`, {
    data: {
      from: "jo@customer.example",
      from_name: "Jo Customer",
      to: address,
      subject: "Cold coffee at the quayside",
      text: "",
      html: '<p>My latte was <b>cold</b>.</p><script>document.title="owned"</script><img src="https://tracker.example/p.gif">',
      message_id: `cold-${Date.now()}@customer.example`,
    },
  });
  expect((await sent.json()).status).toBe(200);

  await page.goto(`/o/${slug}/inbox`);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: "Cold coffee at the quayside" });
  await expect(row).toContainText("Needs an answer");
  await expect(row).toContainText("Jo Customer");
  await noAxeViolations(page);
  await row.getByRole("link", { name: "Cold coffee at the quayside" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cold coffee at the quayside");
  await hydrated(page);
  await expect(page.locator(".email-html")).toContainText("My latte was cold.");
  await expect(page.locator(".email-html script")).toHaveCount(0);
  await expect(page.locator(".email-html img[src]")).toHaveCount(0);
  await expect(page.getByText("1 remote image(s) not shown")).toBeVisible();
  expect(await page.title()).not.toBe("owned");
  await noAxeViolations(page);

  // Assigned to the one who will answer.
  await page.getByLabel("Assigned to").selectOption({ label: "Ines Inbox" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByLabel("Assigned to")).toHaveValue(/.+/);

  // Answered: the stand-in receives it with the headers that thread it.
  await page.getByLabel(/Reply to jo@customer.example/).fill("Sorry, Jo. The next one is on us.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.locator(".message.reply")).toContainText("Sorry, Jo. The next one is on us.");
  await expect(page.locator(".message.reply")).toContainText("Sent", { timeout: 20_000 });
  const outbox = await (await request.get(`${standin}/standin/sent`)).json();
  const reply = outbox.find((m: any) => m.subject === "Re: Cold coffee at the quayside");
  expect(reply.personalizations[0].to[0].email).toBe("jo@customer.example");
  expect(reply.headers["In-Reply-To"]).toMatch(/^<cold-\d+@customer\.example>$/);
  expect(reply.headers["References"]).toMatch(/^<cold-\d+@customer\.example>$/);
  expect(reply.reply_to.email).toMatch(new RegExp(`^${address.split("@")[0]}\\+[0-9a-f]{16}@`));
  expect(reply.content[0].value).toContain("Sorry, Jo. The next one is on us.");

  // Turned into an issue that links back, and the thread shows the issue.
  await page.getByRole("button", { name: "Open issue" }).click();
  const issueLink = page.locator("dl.facts").getByRole("link", { name: "#1" });
  await expect(issueLink).toBeVisible();
  await issueLink.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("#1 Cold coffee at the quayside");
  await expect(page.locator("p.plain-text").filter({ hasText: "From jo@customer.example:" })).toBeVisible();
  // The issue links back to the conversation it came from.
  await page.locator("dl.facts").getByRole("link", { name: "Cold coffee at the quayside" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cold coffee at the quayside");
  await hydrated(page);

  // Closed: it leaves the open list.
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "Closed" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator("dl.facts")).toContainText("Closed");
  await page.goto(`/o/${slug}/inbox`);
  await hydrated(page);
  await expect(page.getByText("Cold coffee at the quayside")).toHaveCount(0);
  await page.goto(`/o/${slug}/inbox?status=closed`);
  await expect(page.getByRole("row").filter({ hasText: "Cold coffee at the quayside" })).toBeVisible();
});
