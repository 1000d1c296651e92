import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { baseURL } from "../../playwright.config";
import { apiSignIn, auditAxe as audit, signIn } from "./support";

/**
 * Retention, legal holds and erasure on the page (docs/adr/0037). An owner changes a policy
 * through its preview, sees a preview made stale by someone else's change refused with the
 * server's message and shown again, and confirms it; sets a hold on the call selected on the
 * page and sees what it protects; erases a number and sees the held call reported and listed;
 * releases the hold after a confirmation. An analyst reads the policies without controls, holds
 * the list's current filters and has no Release; operators and viewers have no Retention button.
 * The dialog passes the same axe rules as the rest of the page.
 *
 * Fresh calls are never past a policy (the shortest keeps a day), so the preview here counts
 * nothing to delete; the counts and calls themselves are tests/integration/retention.test.ts's.
 */
async function placeCall(request: APIRequestContext, to: string): Promise<string> {
  const placed = await request.post("/api/calls", { data: { to }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(placed.status(), await placed.text()).toBe(201);
  return ((await placed.json()) as { call: { id: string } }).call.id;
}

/** Sets policies through the API's own two steps, as another owner would. */
async function setPolicies(request: APIRequestContext, policies: Array<{ kind: string; keepDays: number | null }>) {
  const preview = await request.post("/api/retention/policies/preview", { data: { policies } });
  expect(preview.status(), await preview.text()).toBe(200);
  const { token } = (await preview.json()) as { token: string };
  const applied = await request.put("/api/retention/policies", { data: { policies, token } });
  expect(applied.status(), await applied.text()).toBe(200);
}

async function openRetention(page: Page) {
  const button = page.getByRole("button", { name: "Retention", exact: true });
  await button.click();
  const dialog = page.getByRole("dialog", { name: "Retention, holds and erasure" });
  await expect(dialog.getByTestId("retention-policies").locator("tbody tr")).toHaveCount(6);
  await expect(dialog.getByTestId("holds-table")).toBeVisible();
  return { button, dialog };
}

test("an owner previews and applies a policy, holds the selected call, erases a number (the held call kept back) and releases the hold", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, "owner@acme.test");
  const run = Date.now().toString(36);
  const number = `+1312555${String(100 + Math.floor(Math.random() * 100)).padStart(4, "0")}`;
  const held = await placeCall(page.request, number);
  const other = await placeCall(page.request, number);

  try {
    // The selected call is the page's URL (docs/adr/0021).
    await page.goto(`/?call=${held}`);
    const { button, dialog } = await openRetention(page);
    const policies = dialog.getByTestId("retention-policies");
    await expect(policies).toContainText("Evidence manifests, the evidence log and the custody record are kept for good");
    await expect(policies.locator('tr[data-kind="score"] [data-testid="policy-kept"]')).toHaveText("Keep");
    await audit(page, testInfo, "retention-dialog");

    // 1. A policy: the preview first, nothing changed until confirmed.
    await expect(policies.getByRole("button", { name: "Preview changes" })).toBeDisabled();
    await policies.getByLabel("Keep shopper scores for").fill("1");
    await policies.getByRole("button", { name: "Preview changes" }).click();
    const preview = policies.getByTestId("retention-preview");
    await expect(preview.getByRole("heading", { name: "Preview: what these policies would delete now" })).toBeFocused();
    await expect(preview.getByTestId("preview-summary")).toContainText("No call has content past these policies now.");
    await expect(preview.locator('tr[data-kind="score"]')).toContainText("1 day");
    await expect(policies.locator('tr[data-kind="score"] [data-testid="policy-kept"]')).toHaveText("Keep");
    await audit(page, testInfo, "retention-preview");

    // Someone else changes another kind meanwhile: the preview no longer holds, the server says
    // so, the page previews again over the new policies, and only the second confirmation applies.
    await setPolicies(page.request, [{ kind: "translation", keepDays: 3650 }]);
    await preview.getByRole("button", { name: "Apply these policies" }).click();
    await expect(policies.getByRole("alert")).toContainText("What these policies would delete changed since the preview");
    await expect(preview.locator('tr[data-kind="translation"]')).toContainText("3650 days");
    await expect(policies.locator('tr[data-kind="score"] [data-testid="policy-kept"]')).toHaveText("Keep");
    await expect(policies.getByLabel("Keep translations for")).toHaveValue("3650");
    await preview.getByRole("button", { name: "Apply these policies" }).click();
    await expect(policies.getByRole("status").filter({ hasText: "Saved: Shopper scores 1 day." })).toBeVisible();
    await expect(policies.locator('tr[data-kind="score"] [data-testid="policy-kept"]')).toHaveText("1 day");
    await expect(policies.locator('tr[data-kind="translation"] [data-testid="policy-kept"]')).toHaveText("3650 days");
    await expect(preview).toHaveCount(0);

    // 2. A hold on the selected call, with its reason.
    const holds = dialog.getByTestId("legal-holds");
    const form = holds.getByTestId("set-hold");
    await expect(form.getByLabel(/The selected call/)).toBeChecked();
    await form.getByRole("button", { name: "Set hold" }).click();
    await expect(form.getByRole("alert")).toHaveText("Give a reason for the hold.");
    await form.getByLabel("Reason (required)").fill(`Matter ${run}`);
    await form.getByRole("button", { name: "Set hold" }).click();
    await expect(holds.getByRole("status").filter({ hasText: `Hold set on Call ${held.slice(0, 8)}: it protects 1 call.` })).toBeVisible();
    const row = holds.getByTestId("hold-row").filter({ hasText: `Matter ${run}` });
    await expect(row).toHaveAttribute("data-state", "active");
    await expect(row.getByRole("rowheader")).toHaveText(`Call ${held.slice(0, 8)}`);
    await expect(row.getByRole("link", { name: `Call ${held.slice(0, 8)}` })).toHaveAttribute("href", `/?call=${held}`);
    await expect(row).toContainText("owner@acme.test");
    await expect(row.locator("td").first()).toHaveText("1");

    // 3. Erasure of the number: two calls found, the held one kept back and named.
    const erasure = dialog.getByTestId("erasure");
    await erasure.getByLabel("Phone number").fill(number);
    await erasure.getByLabel("Reason (required)").fill(`Subject request ${run}`);
    await erasure.getByRole("button", { name: "Erase…" }).click();
    const confirm = erasure.getByRole("group", { name: `Confirm erasing ${number}` });
    await expect(confirm.getByRole("button", { name: `Yes, erase ${number}` })).toBeFocused();
    await audit(page, testInfo, "erasure-confirmation");
    await confirm.getByRole("button", { name: `Yes, erase ${number}` }).click();
    const result = erasure.getByTestId("erasure-result");
    await expect(result).toContainText(`Erasure of ${number}: 2 calls found, 1 call queued for deletion, 1 call held back by legal holds.`);
    await expect(result.getByRole("list", { name: "Calls held back by legal holds" }).getByRole("link")).toHaveText([held.slice(0, 8)]);
    await expect(result).not.toContainText(other.slice(0, 8));
    const past = erasure.getByTestId("erasure-requests").locator("tbody tr").filter({ hasText: `Subject request ${run}` });
    await expect(past).toContainText(number);
    await expect(past).toContainText("owner@acme.test");
    await audit(page, testInfo, "erasure-result");

    // 4. Release, after a confirmation that asks why.
    await row.getByRole("button", { name: `Release… the hold on Call ${held.slice(0, 8)}` }).click();
    const release = row.getByRole("group", { name: `Confirm releasing the hold on Call ${held.slice(0, 8)}` });
    await expect(release.getByLabel("Reason for releasing")).toBeFocused();
    await release.getByRole("button", { name: "Yes, release the hold" }).click();
    await expect(row.getByRole("alert")).toHaveText("Give a reason for releasing the hold.");
    await release.getByLabel("Reason for releasing").fill(`Matter ${run} closed`);
    await release.getByRole("button", { name: "Yes, release the hold" }).click();
    await expect(holds.getByRole("status").filter({ hasText: `Released the hold on Call ${held.slice(0, 8)}.` })).toBeVisible();
    await expect(row).toHaveAttribute("data-state", "released");
    await expect(row).toContainText(`Released by owner@acme.test`);
    await expect(row).toContainText(`Matter ${run} closed`);
    await expect(row.getByRole("button", { name: /Release/ })).toHaveCount(0);

    // Escape closes; the opener has focus again.
    await page.keyboard.press("Escape");
    await expect(dialog).toHaveCount(0);
    await expect(button).toBeFocused();
  } finally {
    // Other specs share this database: every kind back to "keep".
    await setPolicies(page.request, [{ kind: "score", keepDays: null }, { kind: "translation", keepDays: null }]);
  }
});

test("an analyst reads the policies, holds the list's current filters and cannot release; operators and viewers have no Retention button", async ({ page, playwright }, testInfo) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, "analyst@acme.test");
  const run = Date.now().toString(36);
  await page.goto("/?status=completed");
  const { dialog } = await openRetention(page);
  const policies = dialog.getByTestId("retention-policies");
  await expect(policies).toContainText("Only owners and admins change retention policies.");
  await expect(policies.getByRole("spinbutton")).toHaveCount(0);
  await expect(policies.getByRole("button", { name: "Preview changes" })).toHaveCount(0);
  await expect(dialog.getByTestId("erasure")).toContainText("Only owners and admins request an erasure.");
  await expect(dialog.getByTestId("erasure").getByLabel("Phone number")).toHaveCount(0);

  const holds = dialog.getByTestId("legal-holds");
  const form = holds.getByTestId("set-hold");
  await expect(form.getByLabel(/The selected call/)).toBeDisabled();
  const filters = form.getByLabel(/The call list's current filters/);
  await expect(filters).toBeChecked();
  await expect(form).toContainText("status=completed");
  await form.getByLabel("Reason (required)").fill(`Audit ${run}`);
  await form.getByRole("button", { name: "Set hold" }).click();
  await expect(holds.getByRole("status").filter({ hasText: "Hold set on Saved search: status=completed" })).toBeVisible();
  const row = holds.getByTestId("hold-row").filter({ hasText: `Audit ${run}` });
  await expect(row).toHaveAttribute("data-state", "active");
  await expect(row).toHaveAttribute("data-scope", "filter");
  await expect(row.getByRole("link", { name: "Saved search: status=completed" })).toHaveAttribute("href", "/?status=completed");
  await expect(row).toContainText("analyst@acme.test");
  await expect(holds.getByRole("button", { name: /Release/ })).toHaveCount(0);
  await audit(page, testInfo, "retention-dialog-analyst");

  // An owner releases it, so the hold keeps nothing from the other specs.
  const owner = await playwright.request.newContext({ baseURL });
  try {
    await apiSignIn(owner, "owner@acme.test");
    const list = (await (await owner.get("/api/holds")).json()) as { holds: Array<{ id: string; reason: string }> };
    const id = list.holds.find((h) => h.reason === `Audit ${run}`)!.id;
    expect((await owner.post(`/api/holds/${id}/release`, { data: { reason: "Test over" } })).status()).toBe(200);
  } finally {
    await owner.dispose();
  }

  for (const email of ["operator@acme.test", "viewer@acme.test"]) {
    await page.context().clearCookies();
    await signIn(page, email);
    // The header's tools have loaded (everyone sees Targets); Retention is not among them.
    await expect(page.getByRole("button", { name: "Targets", exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Retention", exact: true }), email).toHaveCount(0);
  }
});
