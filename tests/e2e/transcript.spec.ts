import { expect, test } from "@playwright/test";
import { placeCallFromPage, signIn } from "./support";

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
  const callId = await placeCallFromPage(page, "+15005550009");

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

  // A conversation recorded whole (both parties, turn by turn): at least four utterances from two
  // speakers, and citations at three or more distinct moments, each of which seeks the player there.
  expect(await utterances.count()).toBeGreaterThanOrEqual(4);
  await expect(detail.getByTestId("call-transcript")).toContainText("Our side");
  const citations = detail.getByTestId("scorecard-citation");
  const moments = [...new Set(await Promise.all((await citations.all()).map(async (c) => Number(await c.getAttribute("data-start-ms")))))];
  expect(moments.length).toBeGreaterThanOrEqual(3);
  const seekAudio = detail.getByTestId("transcript-audio");
  for (const ms of moments) {
    await citations.and(detail.locator(`[data-start-ms="${ms}"]`)).first().click();
    await expect(seekAudio).toBeVisible();
    await expect.poll(async () => Math.abs((await seekAudio.evaluate((a: HTMLAudioElement) => a.currentTime * 1000)) - ms), { timeout: 15_000 }).toBeLessThan(1500);
  }

  // Clicking a citation seeks the player to that moment: the longest silence is cited by where
  // it starts, seconds into the conversation.
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
  // …and the transcript follows it: a phrase's citation is the utterance that decided it, which
  // becomes the one playing.
  await criteria.filter({ hasText: "Offers an appointment" }).getByTestId("scorecard-citation").click();
  const current = detail.locator('[data-testid="transcript-utterance"][data-active="true"]');
  await expect(current).toHaveCount(1);
  await expect(current).toContainText("appointment");

  // Clicking an utterance (outside its words: its time) seeks there too.
  const first = utterances.first();
  const firstAt = Number(await first.getAttribute("data-start-ms"));
  await first.getByTestId("transcript-utterance-time").click();
  await expect.poll(async () => Math.abs((await audio.evaluate((a: HTMLAudioElement) => a.currentTime)) * 1000 - firstAt), { timeout: 15_000 })
    .toBeLessThan(1500);

  // Word by word: while it plays, the word being said is marked inside the playing utterance…
  const currentWord = detail.locator('[data-testid="transcript-utterance"][data-active="true"] [data-testid="transcript-word"][aria-current="true"]');
  await expect(currentWord).toHaveCount(1);
  await expect(detail.locator('[data-testid="transcript-word"][aria-current="true"]')).toHaveCount(1);
  // …and clicking a word seeks the player to that word's start: the called party's "appointment",
  // seconds into the recording, clicked with the player paused at its beginning.
  const word = detail.getByTestId("transcript-word").filter({ hasText: /^appointment$/ });
  await expect(word).toHaveCount(1);
  const wordStart = Number(await word.getAttribute("data-start-ms"));
  const wordEnd = Number(await word.getAttribute("data-end-ms"));
  expect(wordStart).toBeGreaterThan(2000);
  expect(wordEnd).toBeGreaterThan(wordStart);
  await audio.evaluate((a: HTMLAudioElement) => { a.pause(); a.currentTime = 0; });
  await expect.poll(position).toBeLessThan(500);
  await word.click();
  await expect.poll(async () => Math.abs((await position()) - wordStart), { timeout: 4_000 }).toBeLessThan(1000);
  // With the player held in the middle of that word, that word is the one marked.
  await audio.evaluate((a: HTMLAudioElement, seconds: number) => { a.pause(); a.currentTime = seconds; }, (wordStart + wordEnd) / 2000);
  await expect(word).toHaveAttribute("aria-current", "true");
  await expect(currentWord).toHaveCount(1);
  await expect(currentWord).toHaveText("appointment");
  await page.close();
});
