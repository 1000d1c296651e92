import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { evaluateAnswer, nextSurveyStep, type AnswerResult } from "@/lib/calls/survey";
import { modulationSnapshotSchema, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { rubricSchema } from "@/lib/surveys/scorer";
import { shopperScriptDraftSchema, surveyDraftSchema, type SurveyQuestion } from "@/lib/surveys/documents";
import { versionHash } from "@/lib/surveys/hash";
import { previewShopperScriptDraft, previewSurveyDraft, spokenItems } from "@/lib/telephony/spoken";
import { parseGatherCallback } from "@/lib/telephony/callbacks";
import { buildLaml, type LamlInput } from "@/lib/telephony/laml";
import { keypad, scriptDraft, scriptVersion, spoken, surveyDraft, surveyVersion } from "@/tests/support/surveys";

const ctx = { callId: "0b7c1e9a-5d2f-4c3e-9a8b-1f2e3d4c5b6a", baseUrl: "https://verbatim.example.com" };
const mixed = surveyVersion(surveyDraft({
  questions: [keypad("rating", "Press 1 to 5."), spoken("comment", "Tell us more."), { ...keypad("both", "Say or press 0 to 9.", 0, 9), speech: true }],
}));
const plan = (parts: Partial<ModulationSnapshot>): ModulationSnapshot => ({
  flow: "direct", from: "+15550100001", to: "+15550100002", operatorPhone: null, record: false, transcribe: false,
  translate: null, disclosure: null, survey: null, shopperScript: null, configVersion: 1, ...parts,
});

describe("version hashes", () => {
  test("are SHA-256 over the canonical JSON of the document without its own sha256 member", () => {
    const { sha256, ...document } = mixed;
    expect(sha256).toBe(createHash("sha256").update(canonicalJson(document)).digest("hex"));
    // Member order does not matter; every member's content does.
    const reordered = Object.fromEntries(Object.entries(document).reverse());
    expect(versionHash(reordered)).toBe(sha256);
    expect(versionHash({ ...document, version: 2 })).not.toBe(sha256);
    expect(versionHash({ ...document, questions: [...document.questions].reverse() })).not.toBe(sha256);
  });

  test("a snapshot carries the document and its hash, and parses as the call's snapshot", () => {
    const script = scriptVersion(scriptDraft(["Hello there.", "Any slots on Tuesday?"]));
    const parsed = modulationSnapshotSchema.parse(plan({ survey: mixed, shopperScript: script }));
    expect(versionHash(parsed.survey!)).toBe(parsed.survey!.sha256);
    expect(versionHash(parsed.shopperScript!)).toBe(parsed.shopperScript!.sha256);
    expect(() => modulationSnapshotSchema.parse(plan({ survey: { ...mixed, sha256: "abc" } }))).toThrow(/SHA-256/);
  });

  test("a script's rubric is the scorer's rubric, with the script's id and version", () => {
    const script = scriptVersion(scriptDraft(["Hi."]), undefined, 3);
    expect(rubricSchema.parse(script.rubric)).toEqual(script.rubric);
    expect(script.rubric).toMatchObject({ id: script.id, version: 3 });
    expect(() => modulationSnapshotSchema.parse(plan({ shopperScript: { ...script, rubric: { ...script.rubric, version: 2 } } }))).toThrow(/rubric/);
  });
});

describe("drafts", () => {
  test.each([
    ["no questions", { questions: [] }],
    ["a question that takes nothing", { questions: [{ id: "q", prompt: "?", keypad: null, speech: false }] }],
    ["a reversed range", { questions: [{ id: "q", prompt: "?", keypad: { min: 4, max: 2 }, speech: false }] }],
    ["a two-digit bound", { questions: [{ id: "q", prompt: "?", keypad: { min: 1, max: 10 }, speech: false }] }],
    ["duplicate question ids", { questions: [keypad("q", "a"), keypad("q", "b")] }],
    ["a question id with spaces", { questions: [keypad("q 1", "a")] }],
    ["a blank title", { title: "   ", questions: [keypad("q", "a")] }],
    ["a lone surrogate", { title: "\ud800", questions: [keypad("q", "a")] }],
    ["an unknown member", { questions: [keypad("q", "a")], colour: "red" }],
  ])("a survey refuses %s", (_, body) => {
    expect(surveyDraftSchema.safeParse({ title: "T", ...body }).success).toBe(false);
  });

  test.each([
    ["no line, only a pause", { steps: [{ pause: 2 }] }],
    ["a pause of 0 or 31 seconds", { steps: [{ say: "Hi" }, { pause: 0 }] }],
    ["a step that both says and pauses", { steps: [{ say: "Hi", pause: 1 }] }],
    ["a criterion of an unknown kind", { rubric: { criteria: [{ id: "c", label: "l", weight: 1, kind: "vibes" }] } }],
    ["a criterion with a NUL in its phrase", { rubric: { criteria: [{ id: "c", label: "l", weight: 1, kind: "phrase_present", phrases: ["a\u0000b"] }] } }],
    ["duplicate criteria ids", { rubric: { criteria: [{ id: "c", label: "l", weight: 1, kind: "answered_within", seconds: 3 }, { id: "c", label: "m", weight: 1, kind: "longest_silence", maxSeconds: 3 }] } }],
  ])("a script refuses %s", (_, body) => {
    const parsed = shopperScriptDraftSchema.safeParse({ ...scriptDraft(["Hi"]), ...body });
    // Duplicate criterion ids are caught when the rubric (the scorer's schema) is built.
    if (parsed.success) expect(() => scriptVersion(parsed.data)).toThrow();
    else expect(parsed.success).toBe(false);
  });
});

describe("LaML for speech questions and scripts", () => {
  test("keypad only: one digit, no speech; speech only: no digits; both: dtmf speech", () => {
    const laml = (question: number) => buildLaml(plan({ survey: mixed }), { step: "survey", question, attempt: 1 }, ctx);
    expect(laml(0)).toMatch(/<Gather input="dtmf" numDigits="1" timeout="6"/);
    expect(laml(0)).not.toContain("speech");
    expect(laml(1)).toMatch(/<Gather input="speech" speechTimeout="auto" timeout="6"/);
    expect(laml(1)).not.toContain("numDigits");
    expect(laml(2)).toMatch(/<Gather input="dtmf speech" numDigits="1" speechTimeout="auto"/);
    for (const q of [0, 1, 2]) expect(laml(q)).toContain('actionOnEmptyResult="true"');
  });

  test("a script plays its lines in the persona's voice with its pauses, in order", () => {
    const script = scriptVersion(scriptDraft(["One & two.", "Three."], { persona: { name: "Sam", description: "", voice: "woman" } }));
    const laml = buildLaml(plan({ shopperScript: script }), { step: "start" }, ctx);
    expect(laml).toContain('<Say voice="woman">One &amp; two.</Say><Pause length="1"/><Say voice="woman">Three.</Say><Pause length="5"/><Hangup/>');
  });

  test("the preview reads back what the LaML says", () => {
    expect(previewSurveyDraft(surveyDraft({ questions: [spoken("c", "What could be better?")], thankYou: "Bye <3" }))).toEqual([
      { kind: "ask", text: "What could be better?", input: ["speech"], digits: null },
      { kind: "say", text: "Bye <3", voice: null },
    ]);
    expect(previewShopperScriptDraft(scriptDraft(["Hello.", "Bye."]))).toEqual([
      { kind: "say", text: "Hello.", voice: null },
      { kind: "pause", seconds: 1 },
      { kind: "say", text: "Bye.", voice: null },
      // The called party's turn to answer the last line (lib/telephony/laml.ts LISTEN_SECONDS).
      { kind: "pause", seconds: 5 },
    ]);
    expect(spokenItems('<Response><Say voice="man">a &quot;b&quot; &#233;</Say><Pause length="3"/></Response>')).toEqual([
      { kind: "say", text: 'a "b" é', voice: "man" },
      { kind: "pause", seconds: 3 },
    ]);
  });
});

describe("speech answers", () => {
  test("SpeechResult and Confidence are read within their domains; the words stay off the timeline payload", () => {
    const cb = parseGatherCallback({ CallSid: "CA" + "a".repeat(32), SpeechResult: "Very kind staff.", Confidence: "0.92" });
    expect(cb.speech).toEqual({ text: "Very kind staff.", confidence: 0.92 });
    expect(cb.payload).toEqual({ CallSid: "CA" + "a".repeat(32), Confidence: "0.92", Speech: "received" });
    const odd = parseGatherCallback({ SpeechResult: "ok", Confidence: "1.5" });
    expect(odd.speech).toEqual({ text: "ok", confidence: null });
    expect(odd.dropped).toEqual(["Confidence"]);
    for (const bad of ["", "  ", "a\u0000b", "x".repeat(2001)]) expect(parseGatherCallback({ SpeechResult: bad }).speech).toBeUndefined();
  });

  test("a digit in range wins; speech answers a question that takes it; otherwise re-prompt, then invalid", () => {
    const [kp, sp, both] = mixed.questions as [never, never, never];
    const speech = { text: " Too slow. ", confidence: 0.8 };
    expect(evaluateAnswer(sp, undefined, 1, speech)).toEqual({ kind: "spoken", text: "Too slow.", confidence: 0.8 });
    expect(evaluateAnswer(both, "7", 1, speech)).toEqual({ kind: "accepted", value: 7 });
    expect(evaluateAnswer(both, undefined, 1, speech)).toEqual({ kind: "spoken", text: "Too slow.", confidence: 0.8 });
    expect(evaluateAnswer(kp, undefined, 1, speech)).toEqual({ kind: "reprompt" });
    expect(evaluateAnswer(sp, "3", 2)).toEqual({ kind: "invalid" });
  });
});

describe("a survey as the caller meets it: keypad answers and the next step (lib/calls/survey.ts)", () => {
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
});
