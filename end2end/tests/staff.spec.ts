import AxeBuilder from "@axe-core/playwright";
import {
  hydrated,
  openVerificationLink,
  serverCommand,
  signUp,
  signedIn,
  turnOnTwoFactor,
  uniqueEmail,
  test,
  expect,
} from "./helpers";

/** `YYYY-MM-DDTHH:MM` in UTC, `minutes` ago: what a datetime-local field takes. */
function utcMinutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 16);
}

test("a staff member runs an incident and the affected person receives the notice", async ({ browser, page }) => {
  // An organisation whose Owner will be affected.
  const affected = await (await browser.newContext()).newPage();
  const affectedEmail = uniqueEmail("affected");
  const slug = `affected-${Date.now()}`;
  await signUp(affected, affectedEmail, "Avery Affected");
  await openVerificationLink(affected, affectedEmail);
  await signedIn(affected, affectedEmail);
  await affected.goto("/o");
  await hydrated(affected);
  await affected.getByLabel("Name").fill("Affected Cafés");
  await affected.getByLabel("Address (optional)").fill(slug);
  await affected.getByRole("button", { name: "Create organisation" }).click();
  await expect(affected.getByRole("heading", { name: "Members" })).toBeVisible();

  // Someone becomes staff from the server's command line; the operator side then asks for
  // two-factor sign-in, and opens once it is on.
  const email = uniqueEmail("staff");
  await signUp(page, email, "Sam Staff");
  await openVerificationLink(page, email);
  await signedIn(page, email);
  await page.goto("/staff");
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  expect(serverCommand(["staff", "grant", email])).toContain(`${email} is now staff`);
  await page.goto("/staff");
  await expect(page.getByRole("alert")).toContainText("Staff must sign in with two-factor");
  await turnOnTwoFactor(page);
  await page.goto("/staff");
  await expect(page.getByRole("heading", { name: "Incident register" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Organisations" })).toContainText("Affected Cafés");
  expect((await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id)).toEqual([]);

  // Open an incident affecting that organisation, discovered three hours ago.
  await hydrated(page);
  await page.getByText("Open an incident").click();
  await page.getByLabel("What happened, in a line").fill("Support export sent to the wrong contractor");
  await page.getByLabel("Description").fill("A CSV of member names and addresses was attached to the wrong ticket.");
  await page.getByLabel("Discovered at (UTC)").fill(utcMinutesAgo(180));
  await page.getByLabel("Account details (names, email addresses)").check();
  await page.getByLabel("Organisations (addresses, one per line)").fill(slug);
  await page.getByRole("button", { name: "Open the incident" }).click();
  await page.getByRole("status").getByRole("link", { name: /^INC-\d+$/ }).click();

  // The clock runs from discovery: 69 hours left.
  await expect(page.getByRole("heading", { name: /^INC-\d+: Support export sent to the wrong contractor$/ })).toBeVisible();
  await expect(page.getByTestId("clock")).toContainText("ICO report due in 2 days 2");
  await expect(page.getByTestId("people-affected")).toHaveText("1");
  await hydrated(page);

  // The decision, then the ICO report.
  await page.getByLabel("Step").selectOption({ label: "Decision on reporting" });
  await page.getByLabel("What was done or decided, and why").fill("Names and addresses of members: a risk to them. Report.");
  await page.getByLabel("Yes").check();
  await page.getByRole("button", { name: "Add to the record" }).click();
  await expect(page.getByTestId("overdue")).toContainText("The notice to affected people is not written yet.");
  await page.getByLabel("Step").selectOption({ label: "Reported to the ICO" });
  await page.getByLabel("What was done or decided, and why").fill("Reported through the ICO's breach form.");
  await page.getByLabel("For an ICO report: the ICO's reference").fill("IC-998877-XY");
  await page.getByLabel("For an ICO report: reported at (UTC)").fill(utcMinutesAgo(10));
  await page.getByRole("button", { name: "Add to the record" }).click();
  await expect(page.getByTestId("clock")).toContainText("Reported to the ICO");
  await expect(page.getByTestId("steps")).toContainText("ICO reference IC-998877-XY");

  // The notice, written once and sent to everyone affected.
  const subject = `A security incident affecting your Ops Intel account ${Date.now()}`;
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel(/^The notice/).fill("A file holding your name and email address was sent to the wrong contractor, who has deleted it.");
  await page.getByRole("button", { name: "Send the notice to everyone affected" }).click();
  await expect(page.getByText("1 notice queued.")).toBeVisible();
  await expect(page.getByTestId("notice")).toContainText(subject);
  await expect(page.getByRole("button", { name: "Send to anyone affected not yet sent it" })).toBeVisible();

  // The affected person receives it, by name, once (in development, emails wait in the
  // development mailbox rather than going to SendGrid); the incident lists it.
  await affected.goto("/dev/mailbox");
  const received = affected.locator(".mailbox li").filter({ hasText: subject });
  await expect(received).toHaveCount(1);
  await expect(received).toContainText(`To ${affectedEmail}`);
  await expect(received).toContainText("Hello Avery Affected,");
  await expect(received).toContainText("sent to the wrong contractor, who has deleted it.");
  await page.reload();
  await expect(page.getByTestId("deliveries")).toContainText(affectedEmail);
  expect((await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id)).toEqual([]);

  // The record for the regulator.
  await hydrated(page);
  await page.getByRole("button", { name: "Export the record (CSV)" }).click();
  await expect(page.getByRole("link", { name: /^Download INC-\d+\.csv$/ })).toBeVisible();
});
