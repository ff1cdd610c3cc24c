import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  acceptAsNewcomer, hydrated, openVerificationLink, operatorSql, ownerOfNewOrganisation, signedIn, signUp, uniqueEmail,
  test, expect,
} from "./helpers";

async function noAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
}

async function invite(page: Page, email: string, role: string) {
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: role });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toHaveText("Invitation sent. The link works for 7 days.");
  await expect(page.locator(".invitations li").filter({ hasText: email })).toContainText(role);
}

test("create an organisation, invite a Manager and a Viewer, transfer ownership, and read it all in the audit log", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const ownerEmail = uniqueEmail("owner");
  await signUp(page, ownerEmail, "Olive Owner");
  await openVerificationLink(page, ownerEmail);
  await signedIn(page, ownerEmail);

  await page.goto("/o");
  await hydrated(page);
  const orgName = `Harbour Cafés ${Date.now()}`;
  await page.getByLabel("Name").fill(orgName);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page).toHaveURL(/\/o\/harbour-cafes-\d+\/members$/);
  await expect(page.locator(".org-header")).toContainText(orgName);
  await expect(page.locator(".org-header")).toContainText("Owner");
  const slug = new URL(page.url()).pathname.split("/")[2];
  await hydrated(page);
  await noAxeViolations(page);

  const managerEmail = uniqueEmail("manager");
  const viewerEmail = uniqueEmail("viewer");
  await invite(page, managerEmail, "Manager");
  await invite(page, viewerEmail, "Viewer");

  const manager = await acceptAsNewcomer(browser, page, managerEmail, "Max Manager");
  const viewer = await acceptAsNewcomer(browser, page, viewerEmail, "Vera Viewer");

  // The Viewer sees the members but no control that changes anything.
  await expect(viewer.locator("table")).toContainText(managerEmail);
  await expect(viewer.getByRole("button", { name: "Change role" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /^Remove/ })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Send invitation" })).toHaveCount(0);
  await expect(viewer.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await expect(viewer.getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await noAxeViolations(viewer);

  // A request forged from the Viewer's own session, valid token and all, is refused by role.
  await page.goto(`/o/${slug}/members`);
  const managerId = await page.locator(`tr[data-email="${managerEmail}"] input[name="user_id"]`).first().getAttribute("value");
  const forged = await viewer.evaluate(
    async ({ slug, managerId }) => {
      const token = (document.querySelector('input[name="csrf_token"]') as HTMLInputElement).value;
      const res = await fetch("/api/org/remove_member", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": token, accept: "application/json" },
        body: new URLSearchParams({ slug, user_id: managerId! }).toString(),
      });
      return { status: res.status, body: await res.text() };
    },
    { slug, managerId },
  );
  expect(forged.status).toBe(403);
  expect(forged.body).toContain("Your role (Viewer) does not allow you to invite members or change their roles.");
  await manager.reload();
  await expect(manager.locator("table")).toContainText(managerEmail);

  // The Manager can't manage members either, but sees the same list.
  await expect(manager.getByRole("button", { name: "Change role" })).toHaveCount(0);

  // The Owner hands the organisation to the Manager and becomes an Admin.
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  await noAxeViolations(page);
  await page.getByLabel("New Owner").selectOption({ label: `Max Manager (${managerEmail})` });
  await page.getByLabel("I understand I will no longer be the Owner.").check();
  await page.getByRole("button", { name: "Transfer ownership" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}/members$`));
  await expect(page.locator(`tr[data-email="${managerEmail}"]`)).toContainText("Owner");
  await expect(page.locator(`tr[data-email="${ownerEmail}"]`)).toContainText("Admin");
  await manager.reload();
  await expect(manager.locator(".org-header")).toContainText("Owner");

  // The audit log, read by the former Owner (now an Admin), shows all of it.
  await page.goto(`/o/${slug}/audit`);
  await hydrated(page);
  const log = page.locator("table.audit");
  await expect(log).toContainText(`Created the organisation ${orgName}`);
  await expect(log).toContainText(`Invited ${managerEmail} as Manager`);
  await expect(log).toContainText(`Invited ${viewerEmail} as Viewer`);
  await expect(log).toContainText(`${managerEmail} accepted the invitation and joined as Manager`);
  await expect(log).toContainText(`${viewerEmail} accepted the invitation and joined as Viewer`);
  await expect(log).toContainText("Refused org/remove_member: needs member:invite_members");
  await expect(log).toContainText(`Transferred ownership to ${managerEmail}`);
  await noAxeViolations(page);

  // Filtered, and exported as CSV.
  await page.getByLabel("Action").fill("invitation");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=invitation/);
  await expect(log).not.toContainText("Transferred ownership");
  await expect(log).toContainText(`Invited ${viewerEmail} as Viewer`);
  await hydrated(page);
  await page.getByRole("button", { name: "Export CSV" }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download audit-log.csv" }).click();
  const csv = readFileSync((await (await download).path())!, "utf8");
  expect(csv.split("\n")[0]).toBe("time,actor,action,target,summary,ip,user_agent");
  expect(csv).toContain(`Invited ${managerEmail} as Manager`);
  expect(csv).not.toContain("ownership.transferred");

  // A new address keeps old links working.
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  await page.getByLabel("Address").fill(`${slug}-renamed`);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${slug}-renamed/settings\\?saved$`));
  await page.goto(`/o/${slug}/members`);
  await expect(page).toHaveURL(new RegExp(`/o/${slug}-renamed/members$`));

  // Someone who leaves no longer finds the organisation: it is "not found", as for a stranger.
  await viewer.goto(`/o/${slug}-renamed/members`);
  await hydrated(viewer);
  await viewer.getByRole("button", { name: "Leave organisation" }).click();
  await expect(viewer).toHaveURL(/\/o$/);
  const gone = await viewer.goto(`/o/${slug}-renamed/members`);
  expect(gone?.status()).toBe(404);
  await expect(viewer.getByRole("heading", { name: "Organisation not found" })).toBeVisible();
});

test("an Owner exports the whole organisation and the ZIP holds every issue", async ({ page }) => {
  const slug = await ownerOfNewOrganisation(page, "export", "Esme Export", "Export Bakeries");
  operatorSql(
    `insert into issues (org_id, number, title, kind, priority, status)
     select o.org_id, n, 'Exported issue ' || n, 'task', 'low', case when n % 2 = 0 then 'resolved' else 'open' end
     from organisations o, generate_series(1, 40) n where o.slug = '${slug}'`,
  );
  await page.goto(`/o/${slug}/settings`);
  await hydrated(page);
  await page.getByRole("button", { name: "Export all data" }).click();
  // Built in the background; the page follows its progress.
  const ready = page.getByTestId("export-ready");
  await expect(ready).toBeVisible({ timeout: 30_000 });
  await noAxeViolations(page);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download the export" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^ops-intel-${slug}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
  const archive = await file.path();
  const read = (name: string) =>
    execFileSync(
      "python3",
      ["-c", "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", archive, name],
      { encoding: "utf8" },
    );
  const issues = read("issues.csv").trim().split("\n");
  expect(issues[0]).toMatch(/^number,title,/);
  expect(issues.length).toBe(41);
  for (const n of [1, 20, 40]) expect(issues.some((line) => line.startsWith(`${n},Exported issue ${n},`))).toBe(true);
  expect(read("README.txt")).toContain("issues.csv");

  // Downloaded once, and recorded.
  await page.reload();
  await expect(page.getByTestId("export-done")).toContainText("was downloaded");
  await page.goto(`/o/${slug}/audit`);
  await expect(page.getByText("Downloaded the export of all the organisation's data")).toBeVisible();
});
