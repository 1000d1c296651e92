import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { normalizeWords, rubricSchema, scorecardSchema, scoreTranscript, type Rubric } from "@/lib/surveys/scorer";

/**
 * A transcript shaped like AssemblyAI's `GET /v2/transcript/{id}` answer with speaker_labels
 * and sentiment_analysis on: the shopper (A) asks, the front desk (B) answers.
 */
function word(text: string, start: number, end: number, speaker: string) {
  return { text, start, end, confidence: 0.98, speaker };
}
function utterance(speaker: string, start: number, texts: Array<[string, number, number]>) {
  const words = texts.map(([text, s, e]) => word(text, s, e, speaker));
  return { speaker, text: texts.map(([t]) => t).join(" "), start, end: words.at(-1)!.end, confidence: 0.97, words };
}

const SHOPPER = utterance("A", 240, [["Hi,", 240, 480], ["do", 520, 640], ["you", 660, 800], ["have", 820, 1000], ["appointments", 1040, 1700], ["next", 1740, 1980], ["week?", 2000, 2300]]);
const DESK_1 = utterance("B", 3100, [["Thank", 3100, 3300], ["you", 3320, 3460], ["for", 3480, 3580], ["calling", 3600, 3950], ["the", 3970, 4050], ["front-desk!", 4070, 4700]]);
const DESK_2 = utterance("B", 9000, [["Yes,", 9000, 9250], ["we", 9300, 9400], ["have", 9420, 9600], ["Tuesday", 9640, 10100], ["at", 10140, 10240], ["ten.", 10260, 10600]]);

function transcript(overrides: Record<string, unknown> = {}) {
  const utterances = [SHOPPER, DESK_1, DESK_2];
  return {
    id: "5551722-f677-48a4-a2a6-2e3c4f5e6d7a",
    status: "completed",
    language_code: "en_us",
    audio_duration: 12,
    confidence: 0.97,
    text: utterances.map((u) => u.text).join(" "),
    words: utterances.flatMap((u) => u.words),
    utterances,
    sentiment_analysis_results: [
      { text: SHOPPER.text, start: SHOPPER.start, end: SHOPPER.end, sentiment: "NEUTRAL", confidence: 0.8, speaker: "A" },
      { text: DESK_1.text, start: DESK_1.start, end: DESK_1.end, sentiment: "POSITIVE", confidence: 0.9, speaker: "B" },
      { text: DESK_2.text, start: DESK_2.start, end: DESK_2.end, sentiment: "NEUTRAL", confidence: 0.7, speaker: "B" },
    ],
    ...overrides,
  };
}

function rubric(criteria: Rubric["criteria"], version = 1): Rubric {
  return { id: "front-desk-basics", version, criteria };
}

const one = (criterion: Rubric["criteria"][number], t: unknown = transcript(), speaker = "B") =>
  scoreTranscript({ transcript: t, calledPartySpeaker: speaker, rubric: rubric([criterion]) }).criteria[0]!;

describe("shopper scorer, criterion by criterion", () => {
  it("phrase_present passes citing the earliest called-party utterance that says it, whatever the case and punctuation", () => {
    const result = one({ id: "greet", label: "Thanks the caller", weight: 2, kind: "phrase_present", phrases: ["THANK YOU for calling"] });
    expect(result).toMatchObject({ outcome: "pass", rubric: { id: "front-desk-basics", version: 1 } });
    expect(result.evidence).toEqual({
      type: "utterance",
      utteranceIndex: 1,
      speaker: "B",
      text: "Thank you for calling the front-desk!",
      startMs: 3100,
      endMs: 4700,
      matched: "THANK YOU for calling",
    });
    // "front desk" matches "front-desk!": the hyphen separates words.
    expect(one({ id: "x", label: "x", weight: 1, kind: "phrase_present", phrases: ["front desk"] }).outcome).toBe("pass");
  });

  it("phrase_present matches whole words only and only in the called party's speech — this one must fail", () => {
    // "appointments" is said, but by the shopper (A), not the called party.
    const result = one({ id: "offer", label: "Mentions appointments", weight: 1, kind: "phrase_present", phrases: ["appointments", "ten o'clock"] });
    expect(result.outcome).toBe("fail");
    expect(result.evidence).toEqual({ type: "measurement", value: 0, unit: "matches", span: { startMs: 3100, endMs: 10600 } });
    // "tues" is not a whole word of "Tuesday".
    expect(one({ id: "x", label: "x", weight: 1, kind: "phrase_present", phrases: ["tues"] }).outcome).toBe("fail");
  });

  it("phrase_absent fails citing the utterance with the forbidden phrase, passes when it is never said", () => {
    const bad = one({ id: "nohave", label: "Never says 'we have'", weight: 1, kind: "phrase_absent", phrases: ["we have"] });
    expect(bad.outcome).toBe("fail");
    expect(bad.evidence).toMatchObject({ type: "utterance", utteranceIndex: 2, startMs: 9000, endMs: 10600, matched: "we have" });
    const good = one({ id: "rude", label: "No 'call back later'", weight: 1, kind: "phrase_absent", phrases: ["call back later"] });
    expect(good).toMatchObject({ outcome: "pass", evidence: { type: "measurement", value: 0, unit: "matches" } });
  });

  it("phrase criteria have no evidence when the called party said nothing", () => {
    const result = one({ id: "greet", label: "Greets", weight: 1, kind: "phrase_present", phrases: ["hello"] }, transcript(), "C");
    expect(result).toMatchObject({ outcome: "no_evidence", evidence: null });
  });

  it("answered_within measures the called party's first utterance start", () => {
    const pass = one({ id: "fast", label: "Answers within 5 s", weight: 1, kind: "answered_within", seconds: 5 });
    expect(pass.outcome).toBe("pass");
    expect(pass.evidence).toMatchObject({ type: "utterance", utteranceIndex: 1, startMs: 3100 });
    expect(pass.reason).toBe("The called party first spoke at 3.1 s (limit 5 s).");
    expect(one({ id: "faster", label: "Within 3 s", weight: 1, kind: "answered_within", seconds: 3 }).outcome).toBe("fail");
  });

  it("answered_within fails on a long recording where the called party never spoke, and has no evidence on a short one", () => {
    const silent = transcript({ utterances: [SHOPPER], words: SHOPPER.words, audio_duration: 30 });
    const fail = one({ id: "fast", label: "Within 5 s", weight: 1, kind: "answered_within", seconds: 5 }, silent);
    expect(fail).toMatchObject({ outcome: "fail", evidence: { type: "measurement", value: 30, unit: "seconds", span: { startMs: 0, endMs: 30000 } } });
    const short = transcript({ utterances: [SHOPPER], words: SHOPPER.words, audio_duration: 3 });
    expect(one({ id: "fast", label: "Within 5 s", weight: 1, kind: "answered_within", seconds: 5 }, short).outcome).toBe("no_evidence");
  });

  it("duration_bounds checks audio_duration against either bound, and has no evidence without it", () => {
    expect(one({ id: "d", label: "1–60 s", weight: 1, kind: "duration_bounds", minSeconds: 1, maxSeconds: 60 })).toMatchObject({
      outcome: "pass",
      evidence: { type: "measurement", value: 12, unit: "seconds", span: { startMs: 0, endMs: 12000 } },
    });
    expect(one({ id: "d", label: "≥ 30 s", weight: 1, kind: "duration_bounds", minSeconds: 30 }).outcome).toBe("fail");
    expect(one({ id: "d", label: "≤ 10 s", weight: 1, kind: "duration_bounds", maxSeconds: 10 }).outcome).toBe("fail");
    expect(one({ id: "d", label: "≤ 10 s", weight: 1, kind: "duration_bounds", maxSeconds: 10 }, transcript({ audio_duration: null })).outcome).toBe("no_evidence");
  });

  it("sentiment_threshold compares the share of the called party's sentences with a sentiment", () => {
    const half = one({ id: "s", label: "Mostly positive", weight: 1, kind: "sentiment_threshold", sentiment: "POSITIVE", comparison: "at_least", share: 0.5 });
    expect(half).toMatchObject({ outcome: "pass", evidence: { type: "measurement", value: 0.5, unit: "ratio", span: { startMs: 3100, endMs: 10600 } } });
    expect(one({ id: "s", label: "≥ 75 %", weight: 1, kind: "sentiment_threshold", sentiment: "POSITIVE", comparison: "at_least", share: 0.75 }).outcome).toBe("fail");
    expect(one({ id: "s", label: "No negativity", weight: 1, kind: "sentiment_threshold", sentiment: "NEGATIVE", comparison: "at_most", share: 0 }).outcome).toBe("pass");
    expect(
      one({ id: "s", label: "x", weight: 1, kind: "sentiment_threshold", sentiment: "POSITIVE", comparison: "at_least", share: 0.5 }, transcript({ sentiment_analysis_results: null })).outcome,
    ).toBe("no_evidence");
  });

  it("longest_silence finds the longest gap between words of anyone, and cites where it is", () => {
    const result = one({ id: "gap", label: "No silence over 5 s", weight: 1, kind: "longest_silence", maxSeconds: 5 });
    // Between "front-desk!" (ends 4700) and "Yes," (starts 9000).
    expect(result).toMatchObject({ outcome: "pass", evidence: { type: "measurement", value: 4.3, unit: "seconds", span: { startMs: 4700, endMs: 9000 } } });
    expect(one({ id: "gap", label: "≤ 4 s", weight: 1, kind: "longest_silence", maxSeconds: 4 }).outcome).toBe("fail");
    // Overlapping speech (both channels at once) is merged before gaps are measured.
    const overlap = transcript({ words: [word("a", 0, 1000, "A"), word("b", 500, 2000, "B"), word("c", 2500, 3000, "A")] });
    expect(one({ id: "gap", label: "x", weight: 1, kind: "longest_silence", maxSeconds: 1 }, overlap).evidence).toMatchObject({ value: 0.5, span: { startMs: 2000, endMs: 2500 } });
    expect(one({ id: "gap", label: "x", weight: 1, kind: "longest_silence", maxSeconds: 1 }, transcript({ words: [], utterances: [] })).outcome).toBe("no_evidence");
  });
});

describe("the scorecard", () => {
  const criteria: Rubric["criteria"] = [
    { id: "greet", label: "Thanks the caller", weight: 2, kind: "phrase_present", phrases: ["thank you for calling"] },
    { id: "offer", label: "Offers an appointment", weight: 3, kind: "phrase_present", phrases: ["appointment"] },
    { id: "fast", label: "Answers within 5 s", weight: 1, kind: "answered_within", seconds: 5 },
    { id: "mood", label: "Positive", weight: 4, kind: "sentiment_threshold", sentiment: "POSITIVE", comparison: "at_least", share: 0.5 },
  ];

  it("scores weighted passes over weighted decided criteria, leaving no_evidence out and counting it", () => {
    const card = scoreTranscript({ transcript: transcript({ sentiment_analysis_results: [] }), calledPartySpeaker: "B", rubric: rubric(criteria) });
    expect(card.criteria.map((c) => [c.criterionId, c.outcome])).toEqual([
      ["greet", "pass"],
      ["offer", "fail"],
      ["fast", "pass"],
      ["mood", "no_evidence"],
    ]);
    expect(card).toMatchObject({ passedWeight: 3, decidedWeight: 6, score: 0.5, counts: { pass: 2, fail: 1, no_evidence: 1 } });
    expect(scorecardSchema.parse(card)).toEqual(card);
  });

  it("gives a null score when nothing could be decided", () => {
    const card = scoreTranscript({ transcript: { utterances: [], words: [] }, calledPartySpeaker: "B", rubric: rubric([criteria[0]!]) });
    expect(card).toMatchObject({ score: null, decidedWeight: 0, counts: { no_evidence: 1 } });
  });

  it("scores a new rubric version as a separate scorecard naming its version", () => {
    const v1 = scoreTranscript({ transcript: transcript(), calledPartySpeaker: "B", rubric: rubric(criteria, 1) });
    const v2 = scoreTranscript({ transcript: transcript(), calledPartySpeaker: "B", rubric: rubric([{ ...criteria[1]!, phrases: ["tuesday"] } as Rubric["criteria"][number]], 2) });
    expect(v1.rubric).toEqual({ id: "front-desk-basics", version: 1 });
    expect(v2.rubric).toEqual({ id: "front-desk-basics", version: 2 });
    expect(v2.criteria[0]).toMatchObject({ outcome: "pass", rubric: { version: 2 } });
  });

  it("rejects malformed rubrics and transcripts", () => {
    expect(rubricSchema.safeParse(rubric([criteria[0]!, criteria[0]!])).success).toBe(false);
    expect(rubricSchema.safeParse(rubric([{ ...criteria[0]!, phrases: ["?!"] } as never])).success).toBe(false);
    expect(rubricSchema.safeParse(rubric([{ id: "d", label: "d", weight: 1, kind: "duration_bounds" }])).success).toBe(false);
    expect(rubricSchema.safeParse(rubric([{ id: "d", label: "d", weight: 0, kind: "answered_within", seconds: 1 }])).success).toBe(false);
    expect(() => scoreTranscript({ transcript: { utterances: [{ speaker: "B" }] }, calledPartySpeaker: "B", rubric: rubric(criteria) })).toThrow();
  });

  it("normalizes words: case, punctuation, apostrophes, NFKC", () => {
    expect(normalizeWords("We DON'T close—ever! Ｔｕｅｓｄａｙ, 10:30")).toEqual(["we", "dont", "close", "ever", "tuesday", "10", "30"]);
  });
});

/** The same JSON value with every object's members in another order. */
function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i + 1));
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!).reverse();
    return Object.fromEntries(rotated.map(([k, v]) => [k, shuffleKeys(v, seed * 7 + 3)]));
  }
  return value;
}

describe("determinism (property)", () => {
  const speakerArb = fc.constantFrom("A", "B");
  const textArb = fc.array(fc.constantFrom("Hello", "thank", "you", "for", "calling", "Tuesday", "no,", "sorry!", "we", "have"), { minLength: 1, maxLength: 6 });
  const utteranceArb = fc.record({ speaker: speakerArb, words: textArb, start: fc.integer({ min: 0, max: 60000 }), length: fc.integer({ min: 100, max: 5000 }) });
  const transcriptArb = fc
    .record({
      utterances: fc.array(utteranceArb, { maxLength: 8 }),
      sentiments: fc.array(fc.record({ speaker: speakerArb, sentiment: fc.constantFrom("POSITIVE", "NEUTRAL", "NEGATIVE") }), { maxLength: 6 }),
      duration: fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
    })
    .map(({ utterances, sentiments, duration }) => {
      const built = utterances.map((u) => {
        const step = Math.floor(u.length / u.words.length);
        const words = u.words.map((text, i) => word(text, u.start + i * step, u.start + (i + 1) * step, u.speaker));
        return { speaker: u.speaker, text: u.words.join(" "), start: u.start, end: u.start + u.length, confidence: 0.9, words };
      });
      return {
        audio_duration: duration,
        utterances: built,
        words: built.flatMap((u) => u.words),
        sentiment_analysis_results: sentiments.map((s, i) => ({ text: "x", start: i * 1000, end: i * 1000 + 500, sentiment: s.sentiment, confidence: 0.5, speaker: s.speaker })),
      };
    });
  const criterionArb = fc.oneof(
    fc.record({ kind: fc.constant("phrase_present" as const), phrases: fc.array(fc.constantFrom("thank you", "tuesday", "sorry"), { minLength: 1, maxLength: 2 }) }),
    fc.record({ kind: fc.constant("phrase_absent" as const), phrases: fc.array(fc.constantFrom("no", "we have"), { minLength: 1, maxLength: 2 }) }),
    fc.record({ kind: fc.constant("answered_within" as const), seconds: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant("duration_bounds" as const), minSeconds: fc.integer({ min: 0, max: 30 }), maxSeconds: fc.integer({ min: 30, max: 90 }) }),
    fc.record({
      kind: fc.constant("sentiment_threshold" as const),
      sentiment: fc.constantFrom("POSITIVE" as const, "NEGATIVE" as const),
      comparison: fc.constantFrom("at_least" as const, "at_most" as const),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({ kind: fc.constant("longest_silence" as const), maxSeconds: fc.integer({ min: 0, max: 10 }) }),
  );
  const rubricArb = fc.array(fc.tuple(criterionArb, fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 6 }).map(
    (list): Rubric => ({
      id: "prop",
      version: 3,
      criteria: list.map(([c, weight], i) => ({ ...c, id: `c${i}`, label: `criterion ${i}`, weight }) as Rubric["criteria"][number]),
    }),
  );

  it("gives byte-identical scorecards for the same inputs, whatever the order of object members", () => {
    fc.assert(
      fc.property(transcriptArb, rubricArb, speakerArb, fc.nat(50), (t, r, speaker, seed) => {
        const first = canonicalJson(scoreTranscript({ transcript: t, calledPartySpeaker: speaker, rubric: r }));
        const again = canonicalJson(scoreTranscript({ transcript: structuredClone(t), calledPartySpeaker: speaker, rubric: structuredClone(r) }));
        const shuffled = canonicalJson(scoreTranscript({ transcript: shuffleKeys(t, seed), calledPartySpeaker: speaker, rubric: shuffleKeys(r, seed + 1) }));
        expect(again).toBe(first);
        expect(shuffled).toBe(first);
        const card = scorecardSchema.parse(JSON.parse(first));
        expect(card.counts.pass + card.counts.fail + card.counts.no_evidence).toBe(r.criteria.length);
        if (card.score !== null) expect(card.score).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });
});
