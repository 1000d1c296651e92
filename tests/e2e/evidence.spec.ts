import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { pinnedTrustArgs, placeCallFromPage, signIn } from "./support";

/**
 * Issue 10 on the page: an analyst opens an ended call's evidence (versions with hashes, the log
 * position, the signed and timestamped head), verifies it, exports the bundle, and the
 * downloaded file verifies with the offline CLI (`npm run verify`, no network, no database); an
 * operator has no evidence controls and the API answers 403; another organization's call is 404.
 */
const run = promisify(execFile);

test("an analyst verifies and exports a call's evidence; the bundle verifies offline; operators and other organizations cannot", async ({ browser }) => {
  test.setTimeout(180_000);
  const operator = await browser.newPage();
  await signIn(operator, "operator@acme.test");
  const callId = await placeCallFromPage(operator, "+14155550177");
  const operatorRow = operator.locator(`[data-call-id="${callId}"]`);
  await expect(operatorRow.getByTestId("call-status")).toHaveText("Completed", { timeout: 60_000 });
  // Operators do not handle evidence: no control in the (selected) call's detail, no evidence on
  // its timeline, and the API refuses.
  const operatorDetail = operator.getByTestId("call-detail");
  await expect(operatorDetail).toHaveAttribute("data-detail-call-id", callId);
  await expect(operatorDetail.getByTestId("call-timeline")).toBeVisible();
  await expect(operatorDetail.getByTestId("evidence-details")).toHaveCount(0);
  await expect(operatorDetail.locator('[data-source="evidence"], [data-source="custody"]')).toHaveCount(0);
  expect((await operator.request.get(`/api/calls/${callId}/evidence`)).status()).toBe(403);
  expect((await operator.request.get(`/api/calls/${callId}/evidence/versions`)).status()).toBe(403);
  await operator.close();

  const analyst = await browser.newPage();
  await signIn(analyst, "analyst@acme.test");
  await analyst.locator(`[data-call-id="${callId}"]`).getByTestId("call-row-link").click();
  await expect(analyst).toHaveURL(new RegExp(`\\?call=${callId}$`));
  const row = analyst.getByTestId("call-detail");
  // The timeline shows the sealed version (sealing follows the call's end by a few seconds).
  await expect(row.locator('[data-testid="call-timeline"] [data-source="evidence"]').first())
    .toContainText(/Evidence manifest version 1 sealed, log entry \d+/, { timeout: 60_000 });
  await row.getByText(/^Evidence: versions/).click();
  const versions = row.getByTestId("manifest-version");
  await expect(versions.first()).toBeVisible({ timeout: 60_000 });
  await expect(versions.first()).toContainText(/v1 [0-9a-f]{12}…[0-9a-f]{4} · log entry \d+/);
  await expect(row.getByTestId("evidence-head")).toContainText(/timestamped .* UTC by/);

  await row.getByRole("button", { name: "Verify" }).click();
  await expect(row.getByTestId("evidence-verification")).toHaveAttribute("data-ok", "true", { timeout: 20_000 });

  const download = analyst.waitForEvent("download");
  await row.getByTestId("evidence-export").click();
  const file = await (await download).path();
  // The offline verifier, as anyone would run it: no database, no network settings. A bundle
  // that does not verify exits 1, which rejects here.
  const { stdout } = await run("node_modules/.bin/tsx", ["--conditions=react-server", "bin/verify.ts", file, ...(await pinnedTrustArgs(analyst.request, path.dirname(file)))], {
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  expect(stdout).toMatch(/verif/i);

  // The export and the verification are on the custody record.
  await row.getByRole("button", { name: /Show custody record/ }).click();
  await expect(row.getByTestId("custody-record")).toContainText("evidence.exported");
  await expect(row.getByTestId("custody-record")).toContainText("evidence.viewed");
  // …and on the call's timeline, by whoever did it.
  const custody = row.locator('[data-testid="call-timeline"] [data-source="custody"]');
  await expect(custody.filter({ hasText: "Evidence viewed by you" }).first()).toBeVisible();
  await expect(custody.filter({ hasText: "Evidence exported by you" })).toHaveCount(1, { timeout: 15_000 });
  await expect(custody.filter({ hasText: "Evidence verified by you" })).toHaveCount(1);
  // A malformed or unknown call id is 404, never a 500.
  expect((await analyst.request.get("/api/calls/not-a-call/evidence/versions")).status()).toBe(404);
  expect((await analyst.request.get(`/api/calls/${crypto.randomUUID()}/evidence/versions`)).status()).toBe(404);
  await analyst.close();

  // Another organization's owner: the call does not exist for them.
  const stranger = await browser.newPage();
  await signIn(stranger, "owner@borealis.test");
  expect((await stranger.request.get(`/api/calls/${callId}/evidence`)).status()).toBe(404);
  expect((await stranger.request.get(`/api/calls/${callId}/evidence/versions`)).status()).toBe(404);
  await stranger.close();
});
