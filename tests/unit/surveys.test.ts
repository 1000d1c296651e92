import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { evaluateAnswer } from "@/lib/calls/survey";
import { modulationSnapshotSchema, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { rubricSchema } from "@/lib/intelligence/scorer";
import { shopperScriptDraftSchema, surveyDraftSchema } from "@/lib/surveys/documents";
import { versionHash } from "@/lib/surveys/hash";
import { previewShopperScriptDraft, previewSurveyDraft, spokenItems } from "@/lib/surveys/spoken";
import { parseGatherCallback } from "@/lib/telephony/callbacks";
import { buildLaml } from "@/lib/telephony/laml";
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
