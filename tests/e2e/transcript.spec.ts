import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * Issue 9, acceptance 1: in the embedded default (simulated carrier and transcriber), a call
 * with recording, transcription, translation to Spanish and a shopper script shows — without a
 * reload — its transcript synced to playback, the Spanish translation and a scorecard in which
 * every criterion cites the utterance or measurement that decided it; a citation seeks the
 * player there. The called party is the simulator's helpful shopper number (+15005550009).
 */

const RUBRIC = {
  criteria: [
    { id: "greets", label: "Greets the caller", weight: 1, kind: "phrase_present", phrases: ["good morning", "hello"] },
    { id: "offers", label: "Offers an appointment", weight: 2, kind: "phrase_present", phrases: ["appointment"] },
    { id: "no-brush-off", label: "Does not send the caller away", weight: 1, kind: "phrase_absent", phrases: ["call back later"] },
    { id: "quick", label: "Answers within 20 seconds", weight: 1, kind: "answered_within", seconds: 20 },
    { id: "no-dead-air", label: "No silence over 15 seconds", weight: 1, kind: "longest_silence", maxSeconds: 15 },
  ],
};

test("a transcribed, translated shopper call shows its synced transcript, the Spanish translation and a scorecard whose citations seek the player", async ({ browser }) => {
  test.setTimeout(180_000);
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const title = `Front desk check ${Date.now()}`;
  const created = await owner.request.post("/api/shopper-scripts", {
    data: {
      title,
      persona: { name: "Sam", description: "A new patient" },
      steps: [{ say: "Hi, I am calling to ask whether you have any appointments next week." }, { pause: 1 }],
      rubric: RUBRIC,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { shopperScript } = (await created.json()) as { shopperScript: { id: string; version: number } };
  // The organization's default script: an operator runs defaults (choosing another needs an owner or admin).
  const config = await owner.request.put("/api/voice-config", {
    data: { record: true, transcribe: true, translate: true, translateLanguages: ["es"], shopperScript: { id: shopperScript.id, version: shopperScript.version } },
  });
  expect(config.status(), await config.text()).toBe(200);
  await owner.close();

  const page = await browser.newPage();
  await signIn(page, "operator@acme.test");
  await page.getByLabel("Record", { exact: true }).check();
  await page.getByLabel("Transcribe", { exact: true }).check();
  await page.getByLabel("Translate", { exact: true }).check();
  await expect(page.getByLabel("Shopper script", { exact: true })).toBeChecked();
  await expect(page.getByLabel("Shopper script version")).toContainText(`${title} v1 (default)`);
  const placed = page.waitForResponse((r) => r.url().endsWith("/api/calls") && r.request().method() === "POST");
  await page.getByLabel("Phone number").fill("+15005550009");
  await page.getByRole("button", { name: "Place call" }).click();
  const response = await placed;
  expect(response.status(), await response.text()).toBe(201);
  const callId = ((await response.json()) as { call: { id: string } }).call.id;

  // Opened while the call is still running: everything below arrives live.
  // Placing a call selects it: its detail, beside the list, shows everything below live.
  const row = page.locator(`[data-call-id="${callId}"]`);
  const detail = page.getByTestId("call-detail");
  await expect(detail).toHaveAttribute("data-detail-call-id", callId);
  await expect(page).toHaveURL(new RegExp(`\\?call=${callId}$`));
  await expect(row.getByTestId("call-status")).toHaveText("Completed", { timeout: 60_000 });
  // What the call ran with comes from its own snapshot.
  await expect(detail.getByTestId("call-ran-with")).toContainText(`${title} v1`);
  await expect(detail.getByTestId("call-ran-with")).toContainText("es");

  const utterances = detail.getByTestId("transcript-utterance");
  await expect(utterances.first()).toBeVisible({ timeout: 90_000 });
  await expect(detail.getByTestId("call-transcript")).toContainText("appointment");
  await expect(detail.getByTestId("call-transcript")).toContainText("Called party");
  const spanish = detail.locator('[data-testid="transcript-translation"][data-language="es"]');
  await expect(spanish).toBeVisible();
  await expect(spanish).toContainText(/cita|Hola/);

  const criteria = detail.getByTestId("scorecard-criterion");
  await expect(criteria).toHaveCount(RUBRIC.criteria.length, { timeout: 60_000 });
  // Every criterion was decided, and each one cites a moment of the recording.
  for (const criterion of await criteria.all()) {
    await expect(criterion).not.toHaveAttribute("data-outcome", "no_evidence");
    await expect(criterion.getByTestId("scorecard-citation")).toHaveCount(1);
  }
  await expect(detail.getByTestId("scorecard-score")).toContainText("100%");

  // Clicking a citation seeks the player to that moment, and the transcript follows it: the
  // longest silence is cited by where it starts, seconds into the called party's answer.
  const silence = criteria.filter({ hasText: "No silence over 15 seconds" }).getByTestId("scorecard-citation");
  const at = Number(await silence.getAttribute("data-start-ms"));
  expect(at).toBeGreaterThan(4500);
  await silence.click();
  const audio = detail.getByTestId("transcript-audio");
  await expect(audio).toBeVisible();
  // Within 4 s of the click the player is at the cited moment (≥ 1 s in): playing from the start
  // would not be there yet.
  const position = () => audio.evaluate((a: HTMLAudioElement) => a.currentTime * 1000);
  await expect.poll(position, { timeout: 4_000 }).toBeGreaterThanOrEqual(at - 50);
  expect(await position()).toBeLessThan(at + 3000);
  const current = detail.locator('[data-testid="transcript-utterance"][data-active="true"]');
  await expect(current).toHaveCount(1);
  await expect(current).toContainText("appointment");

  // Clicking an utterance seeks there too.
  const first = utterances.first();
  const firstAt = Number(await first.getAttribute("data-start-ms"));
  await first.click();
  await expect.poll(async () => Math.abs((await audio.evaluate((a: HTMLAudioElement) => a.currentTime)) * 1000 - firstAt), { timeout: 15_000 })
    .toBeLessThan(1500);
  await page.close();
});
