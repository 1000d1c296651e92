import { describe, expect, test } from "vitest";
import type { ModulationSnapshot, SurveyQuestion } from "@/lib/calls/snapshot";
import { evaluateAnswer, nextSurveyStep, type AnswerResult } from "@/lib/calls/survey";
import type { LamlInput } from "@/lib/telephony/laml";
import { keypad, surveyDraft, surveyVersion } from "@/tests/support/surveys";

const oneToFive = (id: string, prompt: string): SurveyQuestion => keypad(id, prompt, 1, 5);

const plan: ModulationSnapshot = {
  flow: "direct",
  from: "+15550100001",
  to: "+15550100002",
  operatorPhone: null,
  record: false,
  transcribe: false,
  translate: null,
  disclosure: null,
  survey: surveyVersion(surveyDraft({
    questions: [
      oneToFive("service", "Rate the service, 1 to 5."),
      oneToFive("speed", "Rate the speed, 1 to 5."),
      oneToFive("price", "Rate the price, 1 to 5."),
    ],
    thankYou: "Thank you. Goodbye.",
  })),
  shopperScript: null,
  configVersion: 1,
};
const questions = plan.survey!.questions;

/**
 * Plays a caller's key presses through the Gather chain the way the gather route does:
 * evaluate, keep accepted answers, answer with the next document.
 */
function runSurvey(presses: (string | undefined)[]) {
  const stored: { question: string; value: number | null }[] = [];
  const documents: LamlInput[] = [];
  let at: LamlInput = { step: "survey", question: 0, attempt: 1 };
  for (const digits of presses) {
    if (at.step !== "survey") throw new Error(`Pressed ${digits} after the survey ended`);
    const result = evaluateAnswer(questions[at.question]!, digits, at.attempt);
    if (result.kind === "accepted") stored.push({ question: questions[at.question]!.id, value: result.value });
    if (result.kind === "invalid") stored.push({ question: questions[at.question]!.id, value: null });
    at = nextSurveyStep(plan, at.question, result);
    documents.push(at);
  }
  return { stored, documents };
}

describe("evaluateAnswer", () => {
  const q = oneToFive("q", "Rate 1 to 5.");

  test("accepts every single digit inside the range", () => {
    for (const d of ["1", "2", "3", "4", "5"]) {
      expect(evaluateAnswer(q, d, 1)).toEqual({ kind: "accepted", value: Number(d) });
      expect(evaluateAnswer(q, d, 2)).toEqual({ kind: "accepted", value: Number(d) });
    }
  });

  test("accepts the range bounds, including 0 when the range starts there", () => {
    expect(evaluateAnswer({ ...q, keypad: { min: 0, max: 9 } }, "0", 1)).toEqual({ kind: "accepted", value: 0 });
    expect(evaluateAnswer({ ...q, keypad: { min: 0, max: 9 } }, "9", 1)).toEqual({ kind: "accepted", value: 9 });
    expect(evaluateAnswer({ ...q, keypad: { min: 7, max: 7 } }, "7", 1)).toEqual({ kind: "accepted", value: 7 });
  });

  test.each([
    ["empty", ""],
    ["missing", undefined],
    ["below the range", "0"],
    ["above the range", "9"],
    ["two digits", "12"],
    ["two digits whose first is in range", "34"],
    ["star", "*"],
    ["pound", "#"],
    ["a digit followed by a key", "3#"],
    ["a padded digit", " 3"],
    ["a full-width digit", "３"],
  ])("%s is re-prompted on attempt 1 and invalid on attempt 2", (_, digits) => {
    expect(evaluateAnswer(q, digits, 1)).toEqual({ kind: "reprompt" });
    expect(evaluateAnswer(q, digits, 2)).toEqual({ kind: "invalid" });
  });
});

describe("nextSurveyStep", () => {
  const accepted: AnswerResult = { kind: "accepted", value: 4 };

  test("an accepted or invalid answer moves to the next question at attempt 1", () => {
    expect(nextSurveyStep(plan, 0, accepted)).toEqual({ step: "survey", question: 1, attempt: 1 });
    expect(nextSurveyStep(plan, 1, { kind: "invalid" })).toEqual({ step: "survey", question: 2, attempt: 1 });
  });

  test("a re-prompt asks the same question again, attempt 2, with the apology", () => {
    expect(nextSurveyStep(plan, 1, { kind: "reprompt" })).toEqual({ step: "survey", question: 1, attempt: 2, reprompt: true });
  });

  test("after the last question the survey is done, whether answered or not", () => {
    expect(nextSurveyStep(plan, 2, accepted)).toEqual({ step: "survey-done" });
    expect(nextSurveyStep(plan, 2, { kind: "invalid" })).toEqual({ step: "survey-done" });
  });

  test("refuses a question the survey does not have, and a plan without a survey", () => {
    expect(() => nextSurveyStep(plan, 3, accepted)).toThrow(/does not exist/);
    expect(() => nextSurveyStep(plan, -1, accepted)).toThrow(/does not exist/);
    expect(() => nextSurveyStep({ ...plan, survey: null }, 0, accepted)).toThrow(/no survey/);
  });
});

describe("a caller going through a three-question survey", () => {
  test("3, 5, 9 stores 3 and 5, then re-prompts question 3", () => {
    const { stored, documents } = runSurvey(["3", "5", "9"]);
    expect(stored).toEqual([
      { question: "service", value: 3 },
      { question: "speed", value: 5 },
    ]);
    expect(documents).toEqual([
      { step: "survey", question: 1, attempt: 1 },
      { step: "survey", question: 2, attempt: 1 },
      { step: "survey", question: 2, attempt: 2, reprompt: true },
    ]);
  });

  test("a second 9 marks question 3 invalid and ends the survey", () => {
    const { stored, documents } = runSurvey(["3", "5", "9", "9"]);
    expect(stored).toEqual([
      { question: "service", value: 3 },
      { question: "speed", value: 5 },
      { question: "price", value: null },
    ]);
    expect(documents.at(-1)).toEqual({ step: "survey-done" });
  });

  test("silence on the first attempt re-prompts, and a good second answer is kept", () => {
    const { stored, documents } = runSurvey([undefined, "2", "", "", "4"]);
    expect(documents).toEqual([
      { step: "survey", question: 0, attempt: 2, reprompt: true },
      { step: "survey", question: 1, attempt: 1 },
      { step: "survey", question: 1, attempt: 2, reprompt: true },
      { step: "survey", question: 2, attempt: 1 },
      { step: "survey-done" },
    ]);
    expect(stored).toEqual([
      { question: "service", value: 2 },
      { question: "speed", value: null },
      { question: "price", value: 4 },
    ]);
  });

  test("every chain of answers ends in survey-done within two attempts per question", () => {
    const answers = ["", "3", "12", "9", "*"];
    // Each question gets at most two presses; try every pair for each of the three questions.
    const pairs = answers.flatMap((a) => answers.map((b) => [a, b] as const));
    for (const [a, b] of pairs) {
      const presses: string[] = [];
      let at: LamlInput = { step: "survey", question: 0, attempt: 1 };
      while (at.step === "survey") {
        const digits = at.attempt === 1 ? a : b;
        presses.push(digits);
        at = nextSurveyStep(plan, at.question, evaluateAnswer(questions[at.question]!, digits, at.attempt));
        expect(presses.length).toBeLessThanOrEqual(questions.length * 2);
      }
      expect(at).toEqual({ step: "survey-done" });
    }
  });
});
