import { z } from "zod";

/**
 * The shopper scorer: a transcript shaped like AssemblyAI's, the speaker label of the called
 * party and a versioned rubric in; a scorecard out. Pure and deterministic (no clock, no I/O,
 * no locale), so the same inputs always give the same scorecard and its canonical JSON hash,
 * and re-scoring with a new rubric version gives a new scorecard rather than a different one.
 *
 * Every criterion ends `pass`, `fail` or `no_evidence`, with what decided it: an utterance
 * (its index in `utterances[]`, speaker, text, start/end ms) or a measurement (value, unit and
 * the span of the recording it was measured over). The score is the weighted passes over the
 * weighted decided criteria; `no_evidence` is left out of both and counted.
 *
 * Rules, per criterion kind:
 *   phrase_present   pass when any listed phrase occurs in one called-party utterance (the
 *                    earliest such utterance is cited); fail when the called party spoke and
 *                    none occurs (measured over the span of their speech); no_evidence when the
 *                    called party said nothing.
 *   phrase_absent    the mirror: fail citing the earliest utterance with a listed phrase; pass
 *                    when the called party spoke and none occurs; no_evidence when silent.
 *   answered_within  the start of the called party's first utterance, in seconds from the
 *                    start of the recording: pass when ≤ seconds. When they never spoke, fail if
 *                    the recording runs past the limit (no speech over [0, limit]), otherwise
 *                    no_evidence.
 *   duration_bounds  `audio_duration` (seconds) within [minSeconds, maxSeconds], either bound
 *                    optional; no_evidence when the transcript has no duration.
 *   sentiment_threshold  the share of the called party's sentiment results whose sentiment is
 *                    `sentiment`, compared (`at_least` / `at_most`) with `share` (0..1);
 *                    no_evidence when there are no called-party sentiment results.
 *   longest_silence  the longest gap between consecutive stretches of speech (any speaker;
 *                    word timings when the transcript has them, utterances otherwise; overlapping
 *                    speech merged first), pass when ≤ maxSeconds. Silence before the first or
 *                    after the last word is not a gap between words and does not count.
 *                    no_evidence with fewer than two stretches of speech.
 *
 * Phrase matching is case-insensitive, ignores punctuation and matches whole words only:
 * text and phrase are NFKC-normalized and lower-cased, apostrophes are dropped ("don't" =
 * "dont"), every other run of characters that are not letters or digits separates words, and
 * the phrase matches when its words occur consecutively in one utterance's words. So "front
 * desk" matches "Front-desk!" but "desk" does not match "desks". A phrase never spans two
 * utterances.
 */

// ---------------------------------------------------------------------------------------------
// Rubric

const phrases = z
  .array(z.string().refine((phrase) => normalizeWords(phrase).length > 0, "a phrase needs at least one word"))
  .min(1);

const criterionBase = {
  id: z.string().min(1).max(100),
  label: z.string().min(1).max(300),
  weight: z.number().positive().finite(),
};

export const criterionSchema = z.discriminatedUnion("kind", [
  z.object({ ...criterionBase, kind: z.literal("phrase_present"), phrases }),
  z.object({ ...criterionBase, kind: z.literal("phrase_absent"), phrases }),
  z.object({ ...criterionBase, kind: z.literal("answered_within"), seconds: z.number().nonnegative().finite() }),
  z
    .object({
      ...criterionBase,
      kind: z.literal("duration_bounds"),
      minSeconds: z.number().nonnegative().finite().optional(),
      maxSeconds: z.number().nonnegative().finite().optional(),
    })
    .refine((c) => c.minSeconds !== undefined || c.maxSeconds !== undefined, "give minSeconds, maxSeconds or both")
    .refine((c) => c.minSeconds === undefined || c.maxSeconds === undefined || c.minSeconds <= c.maxSeconds, "minSeconds exceeds maxSeconds"),
  z.object({
    ...criterionBase,
    kind: z.literal("sentiment_threshold"),
    sentiment: z.enum(["POSITIVE", "NEGATIVE", "NEUTRAL"]),
    comparison: z.enum(["at_least", "at_most"]),
    share: z.number().min(0).max(1),
  }),
  z.object({ ...criterionBase, kind: z.literal("longest_silence"), maxSeconds: z.number().nonnegative().finite() }),
]);

export const rubricSchema = z
  .object({
    id: z.string().min(1),
    version: z.number().int().positive(),
    criteria: z.array(criterionSchema).min(1),
  })
  .refine((r) => new Set(r.criteria.map((c) => c.id)).size === r.criteria.length, "criterion ids must be unique");

export type Criterion = z.infer<typeof criterionSchema>;
export type CriterionKind = Criterion["kind"];
export type Rubric = z.infer<typeof rubricSchema>;

// ---------------------------------------------------------------------------------------------
// Transcript (the fields of AssemblyAI's transcript object the scorer reads; others pass through)

const wordSchema = z.object({
  text: z.string(),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  confidence: z.number().optional(),
  speaker: z.string().nullish(),
  channel: z.string().nullish(),
});

const utteranceSchema = z.object({
  speaker: z.string(),
  text: z.string(),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  confidence: z.number().optional(),
  channel: z.string().nullish(),
  words: z.array(wordSchema).optional(),
});

const sentimentSchema = z.object({
  text: z.string(),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  sentiment: z.enum(["POSITIVE", "NEUTRAL", "NEGATIVE"]),
  confidence: z.number().optional(),
  speaker: z.string().nullish(),
  channel: z.string().nullish(),
});

export const scorerTranscriptSchema = z.object({
  utterances: z.array(utteranceSchema).nullish(),
  words: z.array(wordSchema).nullish(),
  sentiment_analysis_results: z.array(sentimentSchema).nullish(),
  /** Seconds, as AssemblyAI reports it. */
  audio_duration: z.number().nonnegative().nullish(),
});

export type ScorerTranscript = z.infer<typeof scorerTranscriptSchema>;

// ---------------------------------------------------------------------------------------------
// Scorecard

const spanSchema = z.object({ startMs: z.number(), endMs: z.number() });

export const evidenceSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("utterance"),
    utteranceIndex: z.number().int().nonnegative(),
    speaker: z.string(),
    text: z.string(),
    startMs: z.number(),
    endMs: z.number(),
    /** The rubric phrase found in it. */
    matched: z.string().optional(),
  }),
  z.object({
    type: z.literal("measurement"),
    value: z.number(),
    unit: z.enum(["seconds", "ratio", "matches"]),
    span: spanSchema,
  }),
]);

export const criterionResultSchema = z.object({
  criterionId: z.string(),
  label: z.string(),
  kind: z.enum(["phrase_present", "phrase_absent", "answered_within", "duration_bounds", "sentiment_threshold", "longest_silence"]),
  weight: z.number(),
  outcome: z.enum(["pass", "fail", "no_evidence"]),
  /** What decided the outcome; null only for no_evidence. */
  evidence: evidenceSchema.nullable(),
  /** One sentence a person can read: what was measured or found, against what. */
  reason: z.string(),
  rubric: z.object({ id: z.string(), version: z.number().int() }),
});

export const scorecardSchema = z.object({
  rubric: z.object({ id: z.string(), version: z.number().int() }),
  calledPartySpeaker: z.string(),
  /** passedWeight / decidedWeight; null when nothing could be decided. */
  score: z.number().min(0).max(1).nullable(),
  passedWeight: z.number(),
  decidedWeight: z.number(),
  counts: z.object({ pass: z.number().int(), fail: z.number().int(), no_evidence: z.number().int() }),
  criteria: z.array(criterionResultSchema),
});

export type Evidence = z.infer<typeof evidenceSchema>;
export type CriterionResult = z.infer<typeof criterionResultSchema>;
export type Scorecard = z.infer<typeof scorecardSchema>;
export type Outcome = CriterionResult["outcome"];

export interface ScoreInput {
  transcript: unknown;
  /** The speaker label (`utterances[].speaker`) of the called party: "B" with speaker labels,
   * the channel number ("2") for multichannel audio. */
  calledPartySpeaker: string;
  rubric: unknown;
}

/** Parses the inputs (zod errors for malformed ones) and scores. */
export function scoreTranscript(input: ScoreInput): Scorecard {
  const transcript = scorerTranscriptSchema.parse(input.transcript);
  const rubric = rubricSchema.parse(input.rubric);
  const speaker = z.string().min(1).parse(input.calledPartySpeaker);
  const ctx = context(transcript, speaker);
  const ref = { id: rubric.id, version: rubric.version };

  const criteria = rubric.criteria.map((criterion): CriterionResult => {
    const decided = decide(criterion, ctx);
    return {
      criterionId: criterion.id,
      label: criterion.label,
      kind: criterion.kind,
      weight: criterion.weight,
      outcome: decided.outcome,
      evidence: decided.evidence,
      reason: decided.reason,
      rubric: ref,
    };
  });

  let passedWeight = 0;
  let decidedWeight = 0;
  const counts = { pass: 0, fail: 0, no_evidence: 0 };
  for (const result of criteria) {
    counts[result.outcome] += 1;
    if (result.outcome === "no_evidence") continue;
    decidedWeight += result.weight;
    if (result.outcome === "pass") passedWeight += result.weight;
  }
  return {
    rubric: ref,
    calledPartySpeaker: speaker,
    score: decidedWeight > 0 ? passedWeight / decidedWeight : null,
    passedWeight,
    decidedWeight,
    counts,
    criteria,
  };
}

// ---------------------------------------------------------------------------------------------

interface IndexedUtterance {
  index: number;
  speaker: string;
  text: string;
  start: number;
  end: number;
  words: string[];
}

interface Context {
  /** The called party's utterances in time order (ties by index). */
  party: IndexedUtterance[];
  partySentiments: Array<z.infer<typeof sentimentSchema>>;
  /** Speech intervals of everyone, ms, for silence. */
  speech: Array<[number, number]>;
  durationSeconds: number | null;
}

function context(transcript: ScorerTranscript, speaker: string): Context {
  const utterances = transcript.utterances ?? [];
  const party = utterances
    .map((u, index) => ({ index, speaker: u.speaker, text: u.text, start: u.start, end: u.end, words: normalizeWords(u.text) }))
    .filter((u) => u.speaker === speaker)
    .sort((a, b) => a.start - b.start || a.index - b.index);
  const partySentiments = (transcript.sentiment_analysis_results ?? []).filter((s) => s.speaker === speaker);
  const words = transcript.words?.length ? transcript.words : utterances.flatMap((u) => u.words ?? []);
  const speech: Array<[number, number]> = (words.length ? words : utterances).map((w) => [w.start, Math.max(w.start, w.end)]);
  return { party, partySentiments, speech, durationSeconds: transcript.audio_duration ?? null };
}

type Decision = Pick<CriterionResult, "outcome" | "evidence" | "reason">;

function decide(criterion: Criterion, ctx: Context): Decision {
  switch (criterion.kind) {
    case "phrase_present":
    case "phrase_absent":
      return decidePhrase(criterion, ctx);
    case "answered_within":
      return decideAnswered(criterion.seconds, ctx);
    case "duration_bounds":
      return decideDuration(criterion.minSeconds, criterion.maxSeconds, ctx);
    case "sentiment_threshold":
      return decideSentiment(criterion, ctx);
    case "longest_silence":
      return decideSilence(criterion.maxSeconds, ctx);
  }
}

function decidePhrase(criterion: Extract<Criterion, { kind: "phrase_present" | "phrase_absent" }>, ctx: Context): Decision {
  const wanted = criterion.kind === "phrase_present";
  if (ctx.party.length === 0) {
    return { outcome: "no_evidence", evidence: null, reason: "The called party said nothing, so no phrase can be looked for." };
  }
  const needles = criterion.phrases.map((phrase) => ({ phrase, words: normalizeWords(phrase) }));
  for (const utterance of ctx.party) {
    const hit = needles.find((needle) => containsSequence(utterance.words, needle.words));
    if (!hit) continue;
    return {
      outcome: wanted ? "pass" : "fail",
      evidence: {
        type: "utterance",
        utteranceIndex: utterance.index,
        speaker: utterance.speaker,
        text: utterance.text,
        startMs: utterance.start,
        endMs: utterance.end,
        matched: hit.phrase,
      },
      reason: `The called party said "${hit.phrase}".`,
    };
  }
  const list = criterion.phrases.map((p) => `"${p}"`).join(", ");
  return {
    outcome: wanted ? "fail" : "pass",
    evidence: { type: "measurement", value: 0, unit: "matches", span: partySpan(ctx) },
    reason: `None of ${list} occurs in the called party's ${ctx.party.length} utterance(s).`,
  };
}

function decideAnswered(seconds: number, ctx: Context): Decision {
  const first = ctx.party[0];
  if (first) {
    const at = first.start / 1000;
    return {
      outcome: at <= seconds ? "pass" : "fail",
      evidence: { type: "utterance", utteranceIndex: first.index, speaker: first.speaker, text: first.text, startMs: first.start, endMs: first.end },
      reason: `The called party first spoke at ${fmt(at)} s (limit ${fmt(seconds)} s).`,
    };
  }
  if (ctx.durationSeconds !== null && ctx.durationSeconds > seconds) {
    return {
      outcome: "fail",
      evidence: { type: "measurement", value: ctx.durationSeconds, unit: "seconds", span: { startMs: 0, endMs: ctx.durationSeconds * 1000 } },
      reason: `The called party never spoke in ${fmt(ctx.durationSeconds)} s of recording (limit ${fmt(seconds)} s).`,
    };
  }
  return { outcome: "no_evidence", evidence: null, reason: "The called party never spoke, and the recording is too short to tell." };
}

function decideDuration(min: number | undefined, max: number | undefined, ctx: Context): Decision {
  const value = ctx.durationSeconds;
  if (value === null) return { outcome: "no_evidence", evidence: null, reason: "The transcript does not give the audio's duration." };
  const ok = (min === undefined || value >= min) && (max === undefined || value <= max);
  const bounds = [min !== undefined ? `at least ${fmt(min)} s` : null, max !== undefined ? `at most ${fmt(max)} s` : null].filter(Boolean).join(" and ");
  return {
    outcome: ok ? "pass" : "fail",
    evidence: { type: "measurement", value, unit: "seconds", span: { startMs: 0, endMs: value * 1000 } },
    reason: `The recording lasts ${fmt(value)} s (wanted ${bounds}).`,
  };
}

function decideSentiment(criterion: Extract<Criterion, { kind: "sentiment_threshold" }>, ctx: Context): Decision {
  const results = ctx.partySentiments;
  if (results.length === 0) return { outcome: "no_evidence", evidence: null, reason: "No sentiment results for the called party." };
  const matching = results.filter((r) => r.sentiment === criterion.sentiment).length;
  const share = matching / results.length;
  const ok = criterion.comparison === "at_least" ? share >= criterion.share : share <= criterion.share;
  const span = { startMs: Math.min(...results.map((r) => r.start)), endMs: Math.max(...results.map((r) => r.end)) };
  return {
    outcome: ok ? "pass" : "fail",
    evidence: { type: "measurement", value: share, unit: "ratio", span },
    reason: `${matching} of the called party's ${results.length} sentences are ${criterion.sentiment} (${fmt(share)}; wanted ${criterion.comparison.replace("_", " ")} ${fmt(criterion.share)}).`,
  };
}

function decideSilence(maxSeconds: number, ctx: Context): Decision {
  const merged = mergeIntervals(ctx.speech);
  if (merged.length < 2) return { outcome: "no_evidence", evidence: null, reason: "Fewer than two stretches of speech: no gap to measure." };
  let best = { gap: -1, startMs: 0, endMs: 0 };
  for (let i = 1; i < merged.length; i += 1) {
    const gap = merged[i]![0] - merged[i - 1]![1];
    if (gap > best.gap) best = { gap, startMs: merged[i - 1]![1], endMs: merged[i]![0] };
  }
  const seconds = best.gap / 1000;
  return {
    outcome: seconds <= maxSeconds ? "pass" : "fail",
    evidence: { type: "measurement", value: seconds, unit: "seconds", span: { startMs: best.startMs, endMs: best.endMs } },
    reason: `The longest silence between words lasts ${fmt(seconds)} s (limit ${fmt(maxSeconds)} s).`,
  };
}

// ---------------------------------------------------------------------------------------------

/** Lower-case words of `text`: NFKC, apostrophes dropped, any other non-letter/digit run splits. */
export function normalizeWords(text: string): string[] {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['\u2019\u02bc]/gu, "")
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .filter(Boolean);
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function partySpan(ctx: Context): { startMs: number; endMs: number } {
  return { startMs: Math.min(...ctx.party.map((u) => u.start)), endMs: Math.max(...ctx.party.map((u) => u.end)) };
}

function mergeIntervals(intervals: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const [start, end] of sorted) {
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Numbers in reasons: at most three decimals, no locale. */
function fmt(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
