import { expect, test, type Page } from "@playwright/test";
import { placeCallFromPage, signIn } from "./support";

/**
 * Issue 9 on the page: an owner writes a survey with a speech question and a shopper script
 * with a rubric, edits the survey into a second version, makes them the defaults; an operator
 * places a call choosing among the published versions (the library itself is in Settings, which
 * operators do not have); the simulated carrier's called party
 * (+15005550009: presses 4, then says "The nurse was very kind.") answers, and both answers
 * appear on the call. Plan gating is said in words for a base-plan owner.
 */

/** The library lives in Settings (owners and admins), on its own tab. */
async function openLibrary(page: Page) {
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  await page.getByRole("dialog", { name: "Settings" }).getByRole("tab", { name: "Surveys and shopper scripts" }).click();
}

test("an owner writes a survey and a script; an operator calls with them; keypad and spoken answers appear on the call", async ({ browser }) => {
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  await openLibrary(owner);

  // A survey: one keypad question (1 to 5), one spoken answer.
  await owner.getByRole("button", { name: "New survey" }).click();
  const editor = owner.getByRole("region", { name: /New survey/ });
  await editor.getByLabel("Survey title").fill("After your visit");
  await editor.getByLabel("Question 1", { exact: true }).fill("How was your visit? Press 1 to 5.");
  await editor.getByRole("button", { name: "Add question" }).click();
  await editor.getByLabel("Question 2", { exact: true }).fill("What could we do better? Tell us in a few words.");
  await editor.getByRole("listitem").filter({ has: owner.getByLabel("Question 2", { exact: true }) }).getByLabel("Keypad answer").uncheck();
  await editor.getByRole("listitem").filter({ has: owner.getByLabel("Question 2", { exact: true }) }).getByLabel("Spoken answer").check();
  await editor.getByRole("button", { name: "Preview spoken text" }).click();
  const spoken = editor.getByRole("list", { name: "Spoken text" });
  await expect(spoken).toContainText("How was your visit? Press 1 to 5.");
  await expect(spoken).toContainText("(answer by speech)");
  await editor.getByRole("button", { name: "Publish survey" }).click();
  await expect(owner.getByText("Published “After your visit” version 1.")).toBeVisible();

  // Editing publishes version 2; version 1 stays.
  const v2 = owner.getByRole("region", { name: /Edit survey \(version 1; publishing makes version 2\)/ });
  await v2.getByLabel("Thank-you message").fill("Thank you, goodbye.");
  await v2.getByRole("button", { name: "Publish version 2" }).click();
  await expect(owner.getByText("Published “After your visit” version 2; earlier versions stay as they were.")).toBeVisible();
  await owner.getByRole("button", { name: "Close", exact: true }).click();

  // A shopper script: persona, a line, a pause, a line, and a rubric criterion.
  await owner.getByRole("button", { name: "New shopper script" }).click();
  const script = owner.getByRole("region", { name: /New shopper script/ });
  await script.getByLabel("Script title").fill("New patient enquiry");
  await script.getByLabel("Persona name").fill("Alex");
  await script.getByLabel("Line 1").fill("Hello, I would like to book a first appointment.");
  await script.getByRole("button", { name: "Add pause" }).click();
  await script.getByRole("button", { name: "Add line" }).click();
  await script.getByLabel("Line 3").fill("Is Tuesday possible?");
  await script.getByLabel("Criterion 1 label").fill("Offers an appointment");
  await script.getByLabel("Criterion 1 phrases").fill("appointment, tuesday");
  await script.getByRole("button", { name: "Preview spoken text" }).click();
  await expect(script.getByRole("list", { name: "Spoken text" })).toContainText("pause 2 s");
  await script.getByRole("button", { name: "Publish shopper script" }).click();
  await expect(owner.getByText("Published “New patient enquiry” version 1.")).toBeVisible();

  // Make the latest versions (survey v2, script v1) the organization's defaults.
  await owner.getByRole("button", { name: "Use as default survey: After your visit" }).click();
  await expect(owner.getByText("“After your visit” version 2 is now the default survey.")).toBeVisible();
  await owner.getByRole("button", { name: "Use as default shopper script: New patient enquiry" }).click();
  await expect(owner.getByText("“New patient enquiry” version 1 is now the default shopper script.")).toBeVisible();
  // A shopper call is scored from its transcript: recording and transcription on by default.
  const transcribing = await owner.request.put("/api/voice-config", { data: { record: true, transcribe: true } });
  expect(transcribing.status(), await transcribing.text()).toBe(200);
  await owner.close();

  // The operator may not write them, and the page says so; they choose among published ones.
  const operator = await browser.newPage();
  await signIn(operator, "operator@acme.test");
  await expect(operator.getByRole("heading", { name: "Place a call" })).toBeVisible();
  await expect(operator.getByRole("button", { name: "Settings", exact: true })).toHaveCount(0);
  await expect(operator.getByRole("button", { name: "New survey" })).toHaveCount(0);

  await expect(operator.getByLabel("After-call survey", { exact: true })).toBeChecked();
  await expect(operator.getByLabel("Shopper script", { exact: true })).toBeChecked();
  await expect(operator.getByLabel("After-call survey version")).toContainText("After your visit v2 (default)");
  await expect(operator.getByLabel("Shopper script version")).toContainText("New patient enquiry v1 (default)");

  const callId = await placeCallFromPage(operator, "+15005550009");

  // The placed call is selected: its answers and score are in its detail beside the list.
  await expect(operator.locator(`[data-call-id="${callId}"]`).getByTestId("call-status")).toHaveText("Completed", { timeout: 60_000 });
  const row = operator.getByTestId("call-detail");
  await expect(row).toHaveAttribute("data-detail-call-id", callId);
  await expect(row.getByTestId("call-ran-with")).toContainText("After your visit v2");
  const answers = row.getByRole("list", { name: "Survey answers" });
  await expect(answers).toContainText("How was your visit? Press 1 to 5. 4 (keypad)");
  await expect(answers).toContainText("What could we do better? Tell us in a few words. “The nurse was very kind.” (spoken)");

  // And the score: the script's rubric, applied to the transcript of what the called party said.
  const criterion = row.getByTestId("scorecard-criterion").filter({ hasText: "Offers an appointment" });
  await expect(criterion).toHaveAttribute("data-outcome", "pass", { timeout: 90_000 });
  await expect(criterion.getByTestId("scorecard-citation")).toHaveCount(1);
  await expect(row.getByTestId("scorecard-score")).toContainText("rubric v1");

  // The call ran the versions it was placed with, hash and all.
  const { call: detail } = (await (await operator.request.get(`/api/calls/${callId}`)).json()) as { call: {
    snapshot: { survey: { title: string; version: number; sha256: string }; shopperScript: { version: number; rubric: { criteria: unknown[] } } };
  } };
  expect(detail.snapshot.survey).toMatchObject({ title: "After your visit", version: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(detail.snapshot.shopperScript.rubric.criteria).toHaveLength(1);
  await operator.close();
});

test("a base-plan owner is told that surveys and scripts need the Insights plan", async ({ page }) => {
  await signIn(page, "owner@borealis.test");
  await openLibrary(page);
  await expect(page.getByTestId("library-withheld")).toHaveText("Surveys and shopper scripts need the Insights plan.");
  await page.getByRole("button", { name: "Close settings" }).click();
  await expect(page.getByLabel("After-call survey", { exact: true })).toBeDisabled();
  await expect(page.getByText("Needs the Insights plan").first()).toBeVisible();
});
