import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { pinnedTrustArgs, placeCallFromPage, signIn } from "./support";

/**
 * Issue 11's walk through the page, one role after another in the demo organization (Acme
 * Health, global plan), each step as a person does it, with screenshots saved as artifacts:
 *   owner    changes the voice configuration and invites a member, in Settings;
 *   operator places two recorded, transcribed calls and follows one to its end;
 *   analyst  searches a phrase those calls said, opens the hit (marked in the transcript),
 *            exports the two calls' evidence as one archive and verifies it with the CLI;
 *   viewer   sees no full number, no transcript and no settings.
 * Serial: each step stands on the one before.
 */
test.describe.configure({ mode: "serial" });

const run = promisify(execFile);
// A number no other spec dials, called twice: the analyst's number filter (a whole number: numbers
// are sealed and found by their hash) selects exactly these two calls.
const NUMBERS = ["+14155550772", "+14155550772"] as const;
const NUMBER_FILTER = "14155550772";
const calls: string[] = [];

async function shot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

const row = (page: Page, id: string) => page.locator(`[data-call-id="${id}"]`);
const detail = (page: Page) => page.getByTestId("call-detail");

test.use({ viewport: { width: 1280, height: 800 } });

test("owner: changes the voice configuration and invites a member from Settings", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await expect(dialog).toBeVisible();

  const disclosure = `This call is recorded and transcribed (walkthrough ${Date.now()}).`;
  await dialog.getByLabel("Recording disclosure").fill(disclosure);
  await dialog.getByLabel("Record", { exact: true }).check();
  await dialog.getByLabel("Transcribe", { exact: true }).check();
  await dialog.getByRole("button", { name: "Save configuration" }).click();
  await expect(dialog.getByTestId("voice-config-saved")).toContainText("Saved.");
  await shot(page, testInfo, "1-owner-voice-config");

  await dialog.getByRole("tab", { name: "Members" }).click();
  const invite = dialog.getByRole("region", { name: "Invite a member" });
  const email = `walkthrough-${Date.now()}@acme.test`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption("analyst");
  await invite.getByRole("button", { name: "Invite" }).click();
  await expect(invite.getByTestId("invitation-link")).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(invite.getByRole("list", { name: "Open invitations" })).toContainText(email);
  await shot(page, testInfo, "2-owner-invited");

  // What was saved is what the API now serves.
  const config = (await (await page.request.get("/api/voice-config")).json()) as { config: { disclosureText: string; record: boolean; transcribe: boolean } };
  expect(config.config).toMatchObject({ disclosureText: disclosure, record: true, transcribe: true });
});

test("operator: places two calls and follows one to its end on the page", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await signIn(page, "operator@acme.test");
  await expect(page.getByRole("button", { name: "Settings", exact: true })).toHaveCount(0);
  for (const number of NUMBERS) {
    calls.push(await placeCallFromPage(page, number));
  }
  // The newest call is selected: its detail follows it live, through ringing to the end.
  const last = calls[1]!;
  await expect(page).toHaveURL(new RegExp(`[?&]call=${last}`));
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", last);
  await expect(detail(page).getByTestId("detail-number")).toHaveText(NUMBERS[1]);
  await expect(row(page, last).getByTestId("call-status")).toHaveText(/Ringing|In progress|Completed/, { timeout: 60_000 });
  await shot(page, testInfo, "3-operator-following");
  await expect(row(page, last).getByTestId("call-status")).toHaveText("Completed", { timeout: 90_000 });
  await expect(detail(page).getByTestId("call-timeline")).toContainText("completed");
  await expect(row(page, calls[0]!).getByTestId("call-status")).toHaveText("Completed", { timeout: 90_000 });
  await shot(page, testInfo, "4-operator-completed");
});

test("analyst: searches a phrase, opens the hit, exports the two calls as one archive and verifies it offline", async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  expect(calls).toHaveLength(2);
  await signIn(page, "analyst@acme.test");

  // Wait for the transcript and the sealed evidence of both calls (a few seconds after the end).
  let utterance = "";
  for (const id of calls) {
    await expect.poll(async () => {
      const call = ((await (await page.request.get(`/api/calls/${id}`)).json()) as { call: { transcript: { utterances: { text: string }[] } | null; manifests: unknown[] | null } }).call;
      if (id === calls[1]) utterance = call.transcript?.utterances.map((u) => u.text).sort((a, b) => b.length - a.length)[0] ?? "";
      return Boolean(call.transcript) && (call.manifests?.length ?? 0) > 0;
    }, { timeout: 150_000, intervals: [1000] }).toBe(true);
  }
  // A phrase the call said: two neighbouring long words, searched as a quoted phrase.
  const words = utterance.split(/\s+/).map((w) => w.replace(/[^\p{L}']/gu, ""));
  const at = words.findIndex((w, i) => w.length >= 4 && (words[i + 1]?.length ?? 0) >= 4);
  expect(at, `a phrase in: ${utterance}`).toBeGreaterThanOrEqual(0);
  const phrase = `${words[at]} ${words[at + 1]}`;

  await page.getByLabel("Search transcripts").fill(`"${phrase}"`);
  await expect(page).toHaveURL(/[?&]q=/);
  const hit = row(page, calls[1]!);
  await expect(hit.getByTestId("search-match").locator("mark").first()).toBeVisible({ timeout: 15_000 });
  await shot(page, testInfo, "5-analyst-search");
  await hit.getByTestId("call-row-link").click();
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", calls[1]!);
  const marked = detail(page).getByTestId("transcript-utterance").filter({ has: page.locator("mark") }).first();
  await expect(marked).toBeVisible({ timeout: 15_000 });
  await expect(marked.locator("mark").first()).toBeInViewport();
  await shot(page, testInfo, "6-analyst-hit-open");

  // Choose the two calls by the list's filters: the number both share, no search.
  await page.getByLabel("Search transcripts").fill("");
  await page.getByText("More filters").click();
  await page.getByLabel("Number").fill(NUMBER_FILTER);
  await expect(page).toHaveURL(new RegExp(`[?&]number=${NUMBER_FILTER}`));
  await expect(page.getByTestId("call-count")).toContainText("2 calls match");

  await page.getByRole("button", { name: "Export evidence…" }).click();
  const dialog = page.getByRole("dialog", { name: "Export evidence" });
  await expect(dialog.getByTestId("bulk-export-count")).toContainText("select 2 sealed calls");
  await shot(page, testInfo, "7-analyst-export-dialog");
  await dialog.getByRole("button", { name: "Start export" }).click();
  await expect(dialog.getByTestId("bulk-export-progress")).toHaveText("2 of 2 calls · Ready", { timeout: 120_000 });
  await shot(page, testInfo, "8-analyst-export-ready");
  const download = page.waitForEvent("download");
  await dialog.getByTestId("bulk-export-download").click();
  const file = await (await download).path();

  // The CLI, as anyone would run it: no database, no network settings in its environment.
  const { stdout } = await run("node_modules/.bin/tsx", ["--conditions=react-server", "bin/verify.ts", file, ...(await pinnedTrustArgs(page.request, path.dirname(file)))], {
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  for (const id of calls) expect(stdout).toMatch(new RegExp(`^PASS  ${id} v\\d+ `, "m"));
  expect(stdout).toContain("VERIFIED: all 2 bundle(s) passed, against the keys and TSA certificates you pinned.");
  await testInfo.attach("verify-output", { body: stdout, contentType: "text/plain" });
});

test("viewer: no full number, no transcript, no settings", async ({ page }, testInfo) => {
  expect(calls).toHaveLength(2);
  await signIn(page, "viewer@acme.test");
  await page.goto(`/?call=${calls[1]}`);
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", calls[1]!);
  // The number is masked everywhere on the page: list, detail, activity, and the HTML itself.
  await expect(detail(page).getByTestId("detail-number")).toHaveText(/^\+1•+72$/);
  await expect(row(page, calls[1]!)).toContainText("•");
  expect(await page.content()).not.toContain(NUMBERS[1].slice(1));
  // No content: the detail says what is withheld; no transcript, no player, no evidence.
  await expect(detail(page).getByTestId("content-withheld")).toBeVisible();
  await expect(detail(page).getByTestId("transcript-utterance")).toHaveCount(0);
  await expect(page.locator("audio")).toHaveCount(0);
  await expect(page.getByTestId("evidence-details")).toHaveCount(0);
  // No settings, and searching content says who may.
  await expect(page.getByRole("button", { name: "Settings", exact: true })).toHaveCount(0);
  await expect(page.getByLabel("Search transcripts")).toBeDisabled();
  // The API agrees.
  const api = (await (await page.request.get(`/api/calls/${calls[1]}`)).json()) as { call: { to: string; transcript: unknown } };
  expect(api.call.to).toContain("•");
  expect(api.call.transcript).toBeNull();
  await shot(page, testInfo, "9-viewer");
});
