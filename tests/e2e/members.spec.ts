import { expect, test } from "@playwright/test";
import type { Page } from "@playwright/test";
import { apiSignIn, freshIp, signIn } from "./support";

/**
 * The invitation form lives in Settings → Members. A click that lands before the page has
 * hydrated (right after a reload) opens nothing, so click until the dialog is there.
 */
async function invitePanel(page: Page) {
  const dialog = page.getByRole("dialog", { name: "Settings" });
  // The button is disabled until the page has hydrated; the click waits for it.
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole("tab", { name: "Members" }).click();
  return dialog.getByRole("region", { name: "Invite a member" });
}

/**
 * Joining an organization by invitation, as people do it on the page: the embedded default
 * sends no email, so the owner is shown the link to pass on.
 */
const NEW_PASSWORD = "a first password 123";

test("an owner invites from the page; a new person creates their account through the link and joins", async ({ page, browser }) => {
  await signIn(page, "owner@acme.test");
  const panel = await invitePanel(page);
  await expect(panel).toBeVisible();
  const email = `new-${Date.now()}@acme.test`;
  await panel.getByLabel("Email").fill(email);
  await panel.getByLabel("Role").selectOption("operator");
  await panel.getByRole("button", { name: "Invite" }).click();
  const link = await panel.getByTestId("invitation-link").inputValue();
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(panel.getByRole("list", { name: "Open invitations" })).toContainText(email);

  // Someone with no account, in their own browser.
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": freshIp() } });
  const newcomer = await context.newPage();
  await newcomer.goto(link);
  await expect(newcomer.getByTestId("invite-org")).toHaveText("Acme Health");
  await expect(newcomer.getByTestId("invite-role")).toHaveText("operator");
  await newcomer.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await newcomer.getByLabel("Confirm password").fill(NEW_PASSWORD);
  await newcomer.getByRole("button", { name: "Create account and join" }).click();
  await expect(newcomer.getByRole("main").getByRole("status")).toContainText("You joined Acme Health as operator");
  await newcomer.getByRole("button", { name: "Switch to Acme Health" }).click();
  await newcomer.waitForURL((url) => url.pathname === "/");
  await expect(newcomer.getByTestId("org-name")).toHaveText("Acme Health");
  await expect(newcomer.getByTestId("org-role")).toHaveText("operator");

  // An operator cannot invite: no control on the page, and 403 from the API.
  await expect(newcomer.getByRole("heading", { name: "Place a call" })).toBeVisible();
  await expect(newcomer.getByRole("button", { name: "Settings", exact: true })).toHaveCount(0);
  await expect(newcomer.getByRole("region", { name: "Invite a member" })).toHaveCount(0);
  const denied = await newcomer.request.post("/api/invitations", { data: { email: `x-${Date.now()}@acme.test`, role: "viewer" } });
  expect(denied.status()).toBe(403);
  expect((await denied.json()).error.code).toBe("forbidden");

  // The link worked once.
  await newcomer.goto(link);
  await expect(newcomer.getByRole("main").getByRole("alert")).toContainText("already been used");

  // The owner's list no longer shows it as open.
  await page.reload();
  const reopened = await invitePanel(page);
  await expect(reopened.getByRole("list", { name: "Open invitations" }).or(reopened.getByText("None."))).toBeVisible();
  await expect(reopened.getByRole("listitem").filter({ hasText: email })).toHaveCount(0);
  await context.close();
});

test("joining a second organization does not move anyone; switching is their choice", async ({ browser, playwright }) => {
  const base = test.info().project.use.baseURL;
  const acmeOwner = await playwright.request.newContext({ baseURL: base });
  await apiSignIn(acmeOwner, "owner@acme.test");
  const email = `second-${Date.now()}@acme.test`;
  const first = await acmeOwner.post("/api/invitations", { data: { email, role: "viewer" } });
  expect(first.status()).toBe(201);
  const firstToken = ((await first.json()).acceptUrl as string).split("/").pop()!;
  const joiner = await playwright.request.newContext({ baseURL: base });
  expect((await joiner.post("/api/invitations/accept", { data: { token: firstToken, password: NEW_PASSWORD }, headers: { "x-forwarded-for": freshIp() } })).status()).toBe(200);

  const borealisOwner = await playwright.request.newContext({ baseURL: base });
  await apiSignIn(borealisOwner, "owner@borealis.test");
  const second = await borealisOwner.post("/api/invitations", { data: { email, role: "analyst" } });
  const link = (await second.json()).acceptUrl as string;

  // Signed out, they sign in from the invitation and come back to it.
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": freshIp() } });
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByTestId("invite-org")).toHaveText("Borealis Realty");
  await page.getByRole("link", { name: "Sign in to accept" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname.startsWith("/invite/"));
  await page.getByRole("button", { name: "Join Borealis Realty" }).click();
  await expect(page.getByRole("main").getByRole("status")).toContainText("You joined Borealis Realty as analyst");
  await page.getByRole("link", { name: "Stay where I am" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  // Still in Acme Health, now with a switcher offering both.
  await expect(page.getByLabel("Organization", { exact: true })).toHaveValue("00000000-0000-4000-8000-00000000a001");
  await expect(page.getByTestId("org-role")).toHaveText("viewer");
  await page.getByLabel("Organization", { exact: true }).selectOption({ label: "Borealis Realty" });
  await expect(page.getByTestId("org-role")).toHaveText("analyst");
  await expect(page.getByTestId("org-plan")).toHaveText("base");
  await Promise.all([acmeOwner.dispose(), joiner.dispose(), borealisOwner.dispose(), context.close()]);
});

test("revoked links stop working; the invite answer is the same for known and unknown emails", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  const panel = await invitePanel(page);
  // Admins cannot offer the owner role.
  await expect(panel.getByLabel("Role").locator("option", { hasText: "Owner" })).toHaveCount(0);
  const email = `revoke-${Date.now()}@acme.test`;
  await panel.getByLabel("Email").fill(email);
  await panel.getByRole("button", { name: "Invite" }).click();
  const link = await panel.getByTestId("invitation-link").inputValue();
  await panel.getByRole("button", { name: `Revoke the invitation for ${email}` }).click();
  await expect(panel.getByRole("status")).toContainText(`Invitation for ${email} revoked`);
  await expect(panel.getByRole("listitem").filter({ hasText: email })).toHaveCount(0);
  await page.goto(link);
  await expect(page.getByRole("main").getByRole("alert")).toContainText("withdrawn");

  // owner@borealis.test has an account; nobody uses viewer@borealis.test.
  const unknown = await page.request.post("/api/invitations", { data: { email: "viewer@borealis.test", role: "viewer" } });
  const known = await page.request.post("/api/invitations", { data: { email: "owner@borealis.test", role: "viewer" } });
  expect(unknown.status()).toBe(201);
  expect(known.status()).toBe(unknown.status());
  const shape = (b: { invitation: object }) => [Object.keys(b).sort(), Object.keys(b.invitation).sort()];
  expect(shape(await known.json())).toEqual(shape(await unknown.json()));
  expect((await page.request.post("/api/members", { data: { email, role: "viewer" } })).status()).toBe(410);
  expect((await page.request.post("/api/invitations", { data: { email: "not-an-email", role: "viewer" } })).status()).toBe(400);
  expect((await page.request.post("/api/invitations", { data: { email, role: "owner" } })).status()).toBe(403);
});
