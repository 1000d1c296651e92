import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { apiSignIn, signIn } from "./support";

/**
 * Running the organization from the page: owners and admins open Settings (a modal dialog) for
 * the voice configuration, surveys and scripts, and members. Everything these tests change is
 * put back, since the other specs share the demo organization.
 */
const ACME = "00000000-0000-4000-8000-00000000a001";
const OWNER_ID = "00000000-0000-4000-8000-0000000a0001";
const ADMIN_ID = "00000000-0000-4000-8000-0000000a0002";

async function shot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: false });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

async function openSettingsWithKeyboard(page: Page) {
  const button = page.getByRole("button", { name: "Settings", exact: true });
  // Disabled until the page has hydrated (a key press before would do nothing).
  await expect(button).toBeEnabled();
  await button.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await expect(dialog).toBeVisible();
  return dialog;
}

test("an owner changes the voice configuration and members from Settings, by keyboard; the last owner cannot step down", async ({ page, playwright }, testInfo) => {
  await signIn(page, "owner@acme.test");
  const dialog = await openSettingsWithKeyboard(page);
  // Focus moved into the dialog; the voice configuration is the first tab.
  await expect(dialog.getByRole("tab", { name: "Voice configuration" })).toHaveAttribute("aria-selected", "true");
  expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);

  const disclosure = `This call is recorded for quality and evidence (${Date.now()}).`;
  await dialog.getByLabel("Recording disclosure").fill(disclosure);
  await expect(dialog.getByLabel("Record", { exact: true })).toBeChecked();
  await dialog.getByLabel("Transcribe", { exact: true }).check();
  await dialog.getByRole("button", { name: "Save configuration" }).click();
  await expect(dialog.getByTestId("voice-config-saved")).toContainText("Saved. The voice configuration is now version");
  await shot(page, testInfo, "owner-voice-config-saved");

  // A field the server refuses says so next to the field, and nothing is saved.
  await dialog.getByLabel("Caller ID").fill("12345");
  await dialog.getByRole("button", { name: "Save configuration" }).click();
  await expect(dialog.getByLabel("Caller ID")).toHaveAttribute("aria-invalid", "true");
  await expect(dialog.getByText("must be an E.164 number such as +15551234567")).toBeVisible();
  await dialog.getByLabel("Caller ID").fill("");

  // Escape closes; focus is back on the button that opened it.
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Settings", exact: true })).toBeFocused();

  // After a reload the saved values are what the dialog shows.
  await page.reload();
  const again = await openSettingsWithKeyboard(page);
  await expect(again.getByLabel("Recording disclosure")).toHaveValue(disclosure);
  await expect(again.getByLabel("Transcribe", { exact: true })).toBeChecked();

  // Members, reached with the arrow keys.
  await again.getByRole("tab", { name: "Voice configuration" }).focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(again.getByRole("tab", { name: "Members" })).toHaveAttribute("aria-selected", "true");
  await expect(again.getByRole("tab", { name: "Members" })).toBeFocused();
  const list = again.getByRole("list", { name: "Members" });
  for (const demo of ["owner", "admin", "operator", "analyst", "viewer"]) {
    await expect(list.getByTestId("member-row").filter({ hasText: `${demo}@acme.test` })).toHaveCount(1);
  }

  // Invite by email with a role.
  const invite = again.getByRole("region", { name: "Invite a member" });
  const email = `settings-${Date.now()}@acme.test`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption("analyst");
  await invite.getByRole("button", { name: "Invite" }).click();
  await expect(invite.getByTestId("invitation-link")).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(invite.getByRole("list", { name: "Open invitations" })).toContainText(email);

  // Change a member's role (and put it back).
  const viewerRow = list.getByTestId("member-row").filter({ hasText: "viewer@acme.test" });
  await viewerRow.getByLabel("Role of viewer@acme.test").selectOption("analyst");
  await viewerRow.getByRole("button", { name: "Save role of viewer@acme.test" }).click();
  await expect(again.getByText("viewer@acme.test is now analyst.")).toBeVisible();
  await expect(list.getByTestId("member-row").filter({ hasText: "viewer@acme.test" }).getByLabel("Role of viewer@acme.test")).toHaveValue("analyst");
  const restored = list.getByTestId("member-row").filter({ hasText: "viewer@acme.test" });
  await restored.getByLabel("Role of viewer@acme.test").selectOption("viewer");
  await restored.getByRole("button", { name: "Save role of viewer@acme.test" }).click();
  await expect(again.getByText("viewer@acme.test is now viewer.")).toBeVisible();

  // The last owner: their own controls are off and say why.
  const me = list.getByTestId("member-row").filter({ hasText: "owner@acme.test" });
  await expect(me).toContainText("(you)");
  await expect(me.getByLabel("Role of owner@acme.test")).toBeDisabled();
  await expect(me.getByRole("button", { name: "Remove owner@acme.test" })).toBeDisabled();
  await expect(me.getByTestId("member-locked")).toHaveText("The only owner: an organization always keeps one. Make another member an owner first.");
  await shot(page, testInfo, "owner-members-last-owner");

  // Should the server refuse anyway (another owner stepped down meanwhile), its reason is shown.
  const adminRow = () => list.getByTestId("member-row").filter({ hasText: "admin@acme.test" });
  await adminRow().getByLabel("Role of admin@acme.test").selectOption("owner");
  await adminRow().getByRole("button", { name: "Save role of admin@acme.test" }).click();
  await expect(again.getByText("admin@acme.test is now owner.")).toBeVisible();
  await expect(me.getByLabel("Role of owner@acme.test")).toBeEnabled();
  const elsewhere = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
  await apiSignIn(elsewhere, "owner@acme.test");
  // The other owner steps down while this page's request is on its way, so the server decides
  // (demoting first and then acting raced the page's live update, which locks the control).
  let behind = 0;
  await page.route("**/api/members/*", async (route) => {
    if (route.request().method() === "PATCH" && behind === 0) {
      behind = (await elsewhere.patch(`/api/members/${ADMIN_ID}`, { data: { role: "admin" }, headers: { "x-organization-id": ACME } })).status();
    }
    await route.continue();
  });
  await me.getByLabel("Role of owner@acme.test").selectOption("admin");
  await me.getByRole("button", { name: "Save role of owner@acme.test" }).click();
  await expect.poll(() => behind).toBe(200);
  await page.unroute("**/api/members/*");
  await expect(me.getByRole("alert")).toContainText("last owner");
  await expect(me.getByRole("alert")).toContainText("Make another member an owner first");
  // The list is reread: the admin is an admin again, and the owner's controls are locked once more.
  await expect(adminRow().getByLabel("Role of admin@acme.test")).toHaveValue("admin");
  await expect(me.getByLabel("Role of owner@acme.test")).toBeDisabled();
  await expect(me.getByLabel("Role of owner@acme.test")).toHaveValue("owner");
  await shot(page, testInfo, "owner-last-owner-refused");

  // Put the configuration back as the other specs expect it.
  const config = await elsewhere.get("/api/voice-config", { headers: { "x-organization-id": ACME } });
  expect(config.ok()).toBe(true);
  const reset = await elsewhere.put("/api/voice-config", {
    data: { transcribe: false, disclosureText: "This call may be recorded for quality and evidence purposes." },
    headers: { "x-organization-id": ACME },
  });
  expect(reset.status()).toBe(200);
  const roles = await elsewhere.get("/api/members", { headers: { "x-organization-id": ACME } });
  const members = (await roles.json()).members as { userId: string; role: string }[];
  expect(members.find((m) => m.userId === OWNER_ID)?.role).toBe("owner");
  expect(members.find((m) => m.userId === ADMIN_ID)?.role).toBe("admin");
  await elsewhere.dispose();
});

test("an admin cannot choose owner, nor change the owner", async ({ page }, testInfo) => {
  await signIn(page, "admin@acme.test");
  const dialog = await openSettingsWithKeyboard(page);
  await dialog.getByRole("tab", { name: "Members" }).click();
  const list = dialog.getByRole("list", { name: "Members" });
  const viewer = list.getByTestId("member-row").filter({ hasText: "viewer@acme.test" });
  await expect(viewer.getByLabel("Role of viewer@acme.test").locator("option")).toHaveText(["Admin", "Operator", "Analyst", "Viewer"]);
  const owner = list.getByTestId("member-row").filter({ hasText: "owner@acme.test" });
  await expect(owner.getByLabel("Role of owner@acme.test")).toBeDisabled();
  await expect(owner.getByTestId("member-locked")).toHaveText("Only an owner can change or remove an owner.");
  await expect(dialog.getByRole("region", { name: "Invite a member" }).getByLabel("Role").locator("option", { hasText: "Owner" })).toHaveCount(0);
  await shot(page, testInfo, "admin-members");
  // The API agrees.
  const denied = await page.request.patch(`/api/members/${ADMIN_ID}`, { data: { role: "owner" } });
  expect(denied.status()).toBe(403);
  await dialog.getByRole("button", { name: "Close settings" }).click();
  await expect(dialog).toHaveCount(0);
});

test("operators, analysts and viewers see no settings", async ({ browser }) => {
  for (const email of ["operator@acme.test", "analyst@acme.test", "viewer@acme.test"]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, email);
    await expect(page.getByRole("heading", { name: "Voice Operations" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Settings", exact: true })).toHaveCount(0);
    await expect(page.getByText("Surveys and shopper scripts")).toHaveCount(0);
    await expect(page.getByRole("region", { name: "Invite a member" })).toHaveCount(0);
    await context.close();
  }
});

test("on the base plan, each withheld control says which plan unlocks it", async ({ page }, testInfo) => {
  await signIn(page, "owner@borealis.test");
  const dialog = await openSettingsWithKeyboard(page);
  await expect(dialog.getByLabel("Record", { exact: true })).toBeDisabled();
  await expect(dialog.getByLabel("Record", { exact: true })).toHaveAccessibleDescription("Needs the Pro plan or higher");
  await expect(dialog.getByLabel("Translate", { exact: true })).toBeDisabled();
  await expect(dialog.getByLabel("Translate", { exact: true })).toHaveAccessibleDescription("Needs the Global plan or higher");
  await expect(dialog.getByLabel("Translation languages")).toBeDisabled();
  await expect(dialog.getByLabel("Default after-call survey")).toBeDisabled();
  await expect(dialog.getByLabel("Default after-call survey")).toHaveAccessibleDescription("Needs the Insights plan or higher");
  // What the plan includes still works.
  await expect(dialog.getByLabel("Recording disclosure")).toBeEnabled();
  await shot(page, testInfo, "base-plan-voice-config");
  await dialog.getByRole("tab", { name: "Surveys and shopper scripts" }).click();
  await expect(dialog.getByTestId("library-withheld")).toHaveText("Surveys and shopper scripts need the Insights plan.");
});
