import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Page } from "@playwright/test";
import { pinnedTrustArgs, placeCallFromPage, signIn } from "./support";

/**
 * Issue 11 on the page: an analyst exports the sealed calls the call list shows as one archive
 * (two ended calls placed here, and any others the organization has), watches its progress,
 * downloads it, and the downloaded archive verifies with the offline CLI (`npm run verify`, no
 * database and no network in its environment). The dialog is modal, labelled, takes focus and
 * gives it back. An operator has no export control and the API answers 403.
 */
const run = promisify(execFile);

async function placeEndedCall(page: Page, number: string): Promise<string> {
  const callId = await placeCallFromPage(page, number);
  await expect(page.locator(`[data-call-id="${callId}"]`).getByTestId("call-status")).toHaveText("Completed", { timeout: 60_000 });
  return callId;
}

test("an analyst exports sealed calls as one archive, sees progress, downloads it, and it verifies offline", async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  const operator = await browser.newPage();
  await signIn(operator, "operator@acme.test");
  const calls = [await placeEndedCall(operator, "+14155550181"), await placeEndedCall(operator, "+14155550182")];
  // Operators do not handle evidence: no export control on the page, and the API refuses.
  await expect(operator.getByRole("heading", { name: "Calls" })).toBeVisible();
  await expect(operator.getByRole("button", { name: "Export evidence…" })).toHaveCount(0);
  expect((await operator.request.post("/api/evidence/exports", { data: { filter: {} } })).status()).toBe(403);
  await operator.close();

  const analyst = await browser.newPage();
  await signIn(analyst, "analyst@acme.test");
  // Evidence is sealed a few seconds after a call ends.
  for (const id of calls) {
    await expect
      .poll(async () => ((await (await analyst.request.get(`/api/calls/${id}/evidence/versions`)).json()) as { versions?: unknown[] }).versions?.length ?? 0, { timeout: 60_000 })
      .toBeGreaterThan(0);
  }

  const opener = analyst.getByRole("button", { name: "Export evidence…" });
  await opener.click();
  const dialog = analyst.getByRole("dialog", { name: "Export evidence" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("bulk-export-count")).toContainText(/select \d+ sealed calls/);
  const total = Number((await dialog.getByTestId("bulk-export-count").locator("strong").textContent()) ?? "0");
  expect(total).toBeGreaterThanOrEqual(2);
  // Focus moved into the dialog; Escape closes it and gives focus back to the button.
  expect(await analyst.evaluate(() => Boolean(document.activeElement?.closest("dialog")))).toBe(true);
  await analyst.screenshot({ path: testInfo.outputPath("bulk-export-dialog.png") });
  await analyst.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  await opener.click();
  await expect(dialog.getByTestId("bulk-export-count")).toBeVisible();
  await dialog.getByRole("button", { name: "Start export" }).click();
  const bar = dialog.getByRole("progressbar", { name: "Calls exported" });
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute("aria-valuemax", String(total));
  await expect(dialog.getByTestId("bulk-export-progress")).toContainText(new RegExp(`\\d+ of ${total} calls`));
  await expect(dialog.getByTestId("bulk-export-progress")).toHaveText(`${total} of ${total} calls · Ready`, { timeout: 120_000 });
  await expect(bar).toHaveAttribute("aria-valuenow", String(total));
  await expect(dialog).toContainText(/Available until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(dialog.getByTestId("bulk-export-recent")).toContainText("Ready");
  await analyst.screenshot({ path: testInfo.outputPath("bulk-export-completed.png") });

  const download = analyst.waitForEvent("download");
  await dialog.getByTestId("bulk-export-download").click();
  const file = await (await download).path();
  // The offline verifier, as anyone would run it: no database, no network settings. An archive
  // that does not verify exits 1, which rejects here.
  const { stdout } = await run("node_modules/.bin/tsx", ["--conditions=react-server", "bin/verify.ts", file, ...(await pinnedTrustArgs(analyst.request, path.dirname(file)))], {
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  for (const id of calls) expect(stdout).toMatch(new RegExp(`^PASS  ${id} v\\d+ `, "m"));
  expect(stdout).toContain(`VERIFIED: all ${total} bundle(s) passed, against the keys and TSA certificates you pinned.`);
  await testInfo.attach("verify-output", { body: stdout, contentType: "text/plain" });

  // Another organization's owner: the export does not exist for them.
  const exportId = ((await (await analyst.request.get("/api/evidence/exports")).json()) as { exports: Array<{ id: string }> }).exports[0]!.id;
  await analyst.close();
  const stranger = await browser.newPage();
  await signIn(stranger, "owner@borealis.test");
  expect((await stranger.request.get(`/api/evidence/exports/${exportId}`)).status()).toBe(404);
  await stranger.close();
});
