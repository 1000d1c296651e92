import { z } from "zod";
import { modulationSnapshotSchema, e164Schema, flowSchema } from "@/lib/calls/snapshot";
import { shopperScriptSchema, surveySchema, versionRefSchema } from "@/lib/surveys/documents";
import { CALL_STATUSES } from "@/lib/calls/state-machine";
import { scorecardSchema } from "@/lib/surveys/scorer";

/**
 * The call API's request and response bodies, each defined once as a zod schema with its type
 * by `z.infer`: route handlers parse requests with them, the page's client islands and the
 * tests read responses through the same types. Numbers are masked (`+1555•••0123`) for roles
 * without `numbers.view`; recording details are present only for roles and plans with
 * `recording.play`. Client-safe.
 */

export const placeCallRequestSchema = z.strictObject({
  to: z.string().trim().min(1, "give the number to call").max(32),
  flow: flowSchema.optional(),
  operatorPhone: z.string().trim().min(1).max(32).optional(),
  record: z.boolean().optional(),
  transcribe: z.boolean().optional(),
  translate: z.boolean().optional(),
  survey: z.boolean().optional(),
  shopperScript: z.boolean().optional(),
  /** A published survey version to run instead of the organization's default (turns the survey on). */
  surveyVersion: versionRefSchema.optional(),
  /** A published shopper script version to run instead of the default (turns the script on). */
  shopperScriptVersion: versionRefSchema.optional(),
});
export type PlaceCallRequest = z.infer<typeof placeCallRequestSchema>;

export const recordingSummarySchema = z.object({
  id: z.string(),
  status: z.enum(["pending", "stored", "failed", "absent", "missing"]),
  durationSeconds: z.number().nullable(),
  channels: z.number().nullable(),
  bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  /** Why a recording is absent, failed or missing, in words; null once stored. */
  error: z.string().nullable(),
});
export type RecordingSummary = z.infer<typeof recordingSummarySchema>;

export const callSummarySchema = z.object({
  id: z.string(),
  status: z.enum(CALL_STATUSES),
  flow: flowSchema,
  to: z.string(),
  from: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  /** What the call ran with (the snapshot), reduced to flags for the list. */
  modulations: z.object({ record: z.boolean(), transcribe: z.boolean(), translate: z.boolean(), survey: z.boolean(), shopperScript: z.boolean() }),
  /** Set when dialling failed or its outcome is unknown (`{ code, message }`). */
  dialError: z.object({ code: z.string(), message: z.string() }).nullable(),
  recording: recordingSummarySchema.nullable(),
});
export type CallSummary = z.infer<typeof callSummarySchema>;

export const callEventViewSchema = z.object({
  id: z.number(),
  kind: z.string(),
  occurredAt: z.string(),
  /** Provider status or other short description; never secrets such as RecordingUrl. */
  summary: z.string(),
});
export type CallEventView = z.infer<typeof callEventViewSchema>;

export const surveyAnswerViewSchema = z.object({
  questionIndex: z.number(),
  questionId: z.string(),
  /** A digit (keypad), the recognised words (speech), or `invalid`. */
  answer: z.string(),
  attempts: z.number(),
  /** keypad, speech or none; null on answers stored before answers were artifacts. */
  source: z.enum(["keypad", "speech", "none"]).nullable(),
  speechConfidence: z.number().nullable(),
  surveyVersion: z.number(),
  /** SHA-256 of the answer's canonical JSON; null on answers stored before. */
  sha256: z.string().nullable(),
});
export type SurveyAnswerView = z.infer<typeof surveyAnswerViewSchema>;

export const transcriptionStatusSchema = z.object({
  id: z.string(),
  /** `pending` until submitted; `error` carries AssemblyAI's reason in `error`. */
  status: z.enum(["pending", "submitted", "completed", "error"]),
  error: z.string().nullable(),
  /** 1 for the first request, 2 after an admin's retry, … */
  attempt: z.number(),
  /** The call asked for PII redaction. */
  redact: z.boolean(),
  targetLanguages: z.array(z.string()),
  requestedAt: z.string(),
  settledAt: z.string().nullable(),
});
export type TranscriptionStatusView = z.infer<typeof transcriptionStatusSchema>;

export const transcriptViewSchema = z.object({
  artifactId: z.string(),
  sha256: z.string(),
  /** `redacted` for operators and analysts when the call was redacted; `original` otherwise. */
  version: z.enum(["original", "redacted"]),
  language: z.string().nullable(),
  confidence: z.number().nullable(),
  audioDurationSeconds: z.number().nullable(),
  text: z.string(),
  /** Times in milliseconds from the start of the recording. */
  utterances: z.array(z.object({ speaker: z.string(), channel: z.string().nullable(), start: z.number(), end: z.number(), text: z.string() })),
  words: z.array(z.object({ text: z.string(), start: z.number(), end: z.number(), speaker: z.string().nullable() })),
});
export type TranscriptView = z.infer<typeof transcriptViewSchema>;

export const translationViewSchema = z.object({
  artifactId: z.string(),
  sha256: z.string(),
  language: z.string(),
  text: z.string(),
});
export type TranslationView = z.infer<typeof translationViewSchema>;

/** One stored shopper score (a `score` artifact): the scorecard with its hash and lineage. */
export const scorecardEntrySchema = z.object({
  artifactId: z.string(),
  /** SHA-256 of the scorecard's canonical JSON (RFC 8785). */
  sha256: z.string(),
  producedAt: z.string(),
  /** The score this one superseded (an earlier rubric version); null for the first. */
  supersedes: z.string().nullable(),
  scorecard: scorecardSchema,
});
export type ScorecardEntry = z.infer<typeof scorecardEntrySchema>;

/** POST /api/calls/:id/score: a published version of the call's shopper script; default its latest. */
export const scoreRequestSchema = z.strictObject({ version: z.number().int().min(1).max(2147483647).optional() });
export type ScoreRequest = z.infer<typeof scoreRequestSchema>;

/** 201 with the new score, or 200 with the existing one when this rubric version scored the transcript already. */
export const scoreResponseSchema = z.object({ score: scorecardEntrySchema });
export type ScoreResponse = z.infer<typeof scoreResponseSchema>;

/** One sealed version of a call's evidence manifest, as the call's timeline shows it. */
export const manifestVersionViewSchema = z.object({
  version: z.number(),
  /** SHA-256 of the manifest's canonical JSON. */
  sha256: z.string(),
  issuedAt: z.string(),
  /** Its leaf index in the organization's evidence log; null until logged. */
  logIndex: z.number().nullable(),
});
export type ManifestVersionView = z.infer<typeof manifestVersionViewSchema>;

/** One custody event of a call's evidence. */
export const custodyEventViewSchema = z.object({
  kind: z.enum(["manifest.sealed", "evidence.viewed", "evidence.exported", "evidence.verified"]),
  /** The member who acted; null for the system (sealing). */
  actorUserId: z.string().nullable(),
  /** That member's email (null for the system, or a user no longer found). */
  actorEmail: z.string().nullable(),
  occurredAt: z.string(),
  /** The hash of what was sealed, viewed, exported or verified. */
  sha256: z.string().nullable(),
  /** The event's own link in the organization's custody chain. */
  hash: z.string(),
});
export type CustodyEventView = z.infer<typeof custodyEventViewSchema>;

export const callDetailSchema = callSummarySchema.extend({
  /** What the call ran with: its modulation snapshot (numbers masked as above). */
  snapshot: modulationSnapshotSchema.nullable(),
  events: z.array(callEventViewSchema),
  recordings: z.array(recordingSummarySchema),
  surveyAnswers: z.array(surveyAnswerViewSchema).nullable(),
  /** The latest transcription request (null: none, or the role/plan may not read transcripts). */
  transcription: transcriptionStatusSchema.nullable(),
  transcript: transcriptViewSchema.nullable(),
  /** One per target language (null when the role/plan may not read translations). */
  translations: z.array(translationViewSchema).nullable(),
  /**
   * Every shopper score of the call, oldest first: the last is current, each later one
   * supersedes the one before (a re-score with another rubric version). Empty when none was
   * stored; null when the role/plan may not read shopper results (`survey.read`).
   */
  scorecards: z.array(scorecardEntrySchema).nullable(),
  /**
   * The call's sealed evidence manifest versions, oldest first, with their place in the
   * organization's log (null until logged). Null for roles that may not see evidence
   * (`evidence.export`); empty before the first is sealed.
   */
  manifests: z.array(manifestVersionViewSchema).nullable(),
  /** The call's custody record (sealed, viewed, exported, verified), in chain order; null as `manifests`. */
  custody: z.array(custodyEventViewSchema).nullable(),
});
export type CallDetail = z.infer<typeof callDetailSchema>;

/** GET /api/calls/:id and its recording: `?original=1` asks for the unredacted original (owners and admins). */
export const callDetailQuerySchema = z.object({ original: z.enum(["1", "true"]).optional() });

/** `a,b,c` in a query string → a list of known values (empty parts ignored). */
function csvOf<T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .max(500)
    .transform((s) => [...new Set(s.split(",").map((v) => v.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(values)).max(values.length));
}

/** A date (`2026-11-30`, the whole day in UTC) or a date-time with offset. */
const instantSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const CRITERION_OUTCOMES = ["pass", "fail", "no_evidence"] as const;
export type CriterionOutcome = (typeof CRITERION_OUTCOMES)[number];
/** `tag=`: one saved target's tag, normalized as targets store them (trimmed, inner spaces collapsed, lower case; 1–50 characters). */
export const targetTagFilterSchema = z.string().max(200).regex(/^[^\u0000]*$/u, "no NUL characters")
  .transform((tag) => tag.trim().replace(/\s+/gu, " ").toLowerCase())
  .pipe(z.string().min(1, "a tag cannot be empty").max(50, "a tag is at most 50 characters"));

/** `criterion=<criterion id>:<outcome>`: a rubric's criterion id (1–100 characters, `:` allowed) and an outcome after the last `:`. */
export const criterionFilterSchema = z.string().trim().max(120).regex(/^[^\u0000]{1,100}:(pass|fail|no_evidence)$/u, "a criterion id, `:` and pass, fail or no_evidence");

/** A survey answer's value as the insights count it: a keypad digit, `invalid` (no usable answer) or `speech` (any spoken answer). */
export const ANSWER_VALUES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "invalid", "speech"] as const;
export type AnswerValue = (typeof ANSWER_VALUES)[number];
/** `answer=<question id>:<value>`: a survey question's id (as surveys define them) and a value of ANSWER_VALUES. */
export const answerFilterSchema = z.string().trim().max(80).regex(/^[A-Za-z0-9_-]{1,64}:([0-9]|invalid|speech)$/, "a question id, `:` and a digit, invalid or speech");

/** `a:b:fail` → `{ id: "a:b", value: "fail" }`: split at the last colon. */
export function splitPairFilter(raw: string): { id: string; value: string } {
  const at = raw.lastIndexOf(":");
  return { id: raw.slice(0, at), value: raw.slice(at + 1) };
}

export const HAS_FILTERS = ["recording", "transcript", "translation"] as const;
export type HasFilter = (typeof HAS_FILTERS)[number];

/**
 * The call list's filters, as query parameters: the page keeps them in its URL, `GET /api/calls`
 * and the bulk evidence export take the same ones. Every field narrows; absent means any.
 *   status   completed,failed          any of these statuses
 *   flow     direct | bridge
 *   from,to  created from (inclusive) / to (a date: through the end of that day, UTC)
 *   has      recording,transcript,translation   all of these were stored
 *   scoreMin, scoreMax   the current shopper score, in percent (0–100), inclusive
 *   script, survey       the shopper script / survey the call ran (its id, any version)
 *   campaign             the campaign that placed the call
 *   tag                  the number called is a saved target carrying this tag (insights drill down to it)
 *   criterion <id>:<outcome>   the current shopper score judged that rubric criterion pass,
 *                        fail or no_evidence (insights drill down to it; pair it with script=)
 *   answer   <question id>:<value>   the survey answer to that question was the digit, `invalid`
 *                        (no usable answer) or `speech` (any spoken answer); pair it with survey=
 *   number   a whole number (8+ digits, any punctuation) for members who see numbers, matched by
 *            its keyed hash (numbers are sealed: docs/adr/0044); anything else, and anything a
 *            viewer types, matched against what the mask shows (country code, last two digits)
 *   q        full-text search across the transcripts and translations the caller may read
 */
export const callFilterSchema = z.object({
  status: csvOf(CALL_STATUSES).optional(),
  flow: flowSchema.optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  has: csvOf(HAS_FILTERS).optional(),
  scoreMin: z.coerce.number().int().min(0).max(100).optional(),
  scoreMax: z.coerce.number().int().min(0).max(100).optional(),
  script: z.uuid().optional(),
  survey: z.uuid().optional(),
  campaign: z.uuid().optional(),
  tag: targetTagFilterSchema.optional(),
  criterion: criterionFilterSchema.optional(),
  answer: answerFilterSchema.optional(),
  number: z.string().trim().max(32).regex(/^[+\d\s().-]*$/, "digits, spaces, +, -, ( and ) only").optional(),
  q: z.string().trim().max(200).optional(),
});
export type CallFilter = z.infer<typeof callFilterSchema>;
/** The filters' names, in the order the page writes them to its URL. */
export const CALL_FILTER_KEYS = Object.keys(callFilterSchema.shape) as (keyof CallFilter)[];

/**
 * GET /api/calls query: the filters, then the page. `original=1` (owners and admins): `q`
 * searches the unredacted original of redacted calls instead of their redacted transcript.
 */
export const callListQuerySchema = callFilterSchema.extend({
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  original: z.enum(["1", "true"]).optional(),
});

/** A piece of text with the parts that matched a search marked (rendered as <mark>, never HTML). */
export const highlightFragmentSchema = z.object({ text: z.string(), hit: z.boolean() });
export type HighlightFragment = z.infer<typeof highlightFragmentSchema>;

/** Where a call matched `q`: a short excerpt of the transcript or a translation. */
export const searchMatchSchema = z.object({
  source: z.enum(["transcript", "translation"]),
  language: z.string().nullable(),
  fragments: z.array(highlightFragmentSchema),
});
export type SearchMatch = z.infer<typeof searchMatchSchema>;

/**
 * GET /api/calls/:id/highlights?q=: where the call's transcript and translations match `q`. With
 * `original=1` (owners and admins, as on the detail), the utterances are the original's.
 */
export const callHighlightsQuerySchema = z.object({ q: z.string().trim().min(1).max(200), original: z.enum(["1", "true"]).optional() });
export const callHighlightsResponseSchema = z.object({
  /** Utterances of the transcript the caller reads (by index in `transcript.utterances`) that match. */
  utterances: z.array(z.object({ index: z.number().int().min(0), fragments: z.array(highlightFragmentSchema) })),
  /** Each translation the caller may read, with its matching parts marked (empty: no match). */
  translations: z.array(z.object({ language: z.string(), fragments: z.array(highlightFragmentSchema) })),
});
export type CallHighlightsResponse = z.infer<typeof callHighlightsResponseSchema>;

/**
 * About how many calls match a filter, on a filtered first page (docs/adr/0030): `exact` when
 * every match was seen (a short list, or a search its index answered whole); otherwise an
 * estimate, the share of the newest calls that matched times the calls in the date range,
 * which costs no count of the organization's calls. Say it as an estimate ("about").
 */
export const matchEstimateSchema = z.object({ about: z.number().int().min(0), exact: z.boolean() });
export type MatchEstimate = z.infer<typeof matchEstimateSchema>;

export const callListResponseSchema = z.object({
  calls: z.array(callSummarySchema.extend({ match: searchMatchSchema.nullable().optional() })),
  /** Pass as `?before=` for the next page; null at the end. */
  nextBefore: z.string().nullable(),
  /** Filtered first pages only; null unfiltered and on later pages. */
  matches: matchEstimateSchema.nullable(),
});
export type CallListResponse = z.infer<typeof callListResponseSchema>;

export const recordingUrlResponseSchema = z.object({
  url: z.string(),
  expiresAt: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  mediaType: z.string(),
});
export type RecordingUrlResponse = z.infer<typeof recordingUrlResponseSchema>;

/** A live-update notice: which topic changed and which call; the client refetches. */
export const realtimeNoticeSchema = z.object({ topic: z.literal("calls"), callId: z.string().nullable() });
export type RealtimeNotice = z.infer<typeof realtimeNoticeSchema>;

export const voiceConfigViewSchema = z.object({
  flow: flowSchema,
  callerId: z.string().nullable(),
  operatorPhone: z.string().nullable(),
  record: z.boolean(),
  transcribe: z.boolean(),
  translate: z.boolean(),
  translateLanguages: z.array(z.string()),
  /** Transcripts and their audio are PII-redacted for operators and analysts. */
  redactPii: z.boolean(),
  survey: surveySchema.nullable(),
  shopperScript: shopperScriptSchema.nullable(),
  disclosureText: z.string(),
  version: z.number(),
  updatedAt: z.string(),
});
export type VoiceConfigView = z.infer<typeof voiceConfigViewSchema>;

/** A partial change of the organization's defaults (PUT /api/voice-config). */
export const voiceConfigUpdateSchema = z.strictObject({
  flow: flowSchema.optional(),
  callerId: e164Schema.nullable().optional(),
  operatorPhone: e164Schema.nullable().optional(),
  record: z.boolean().optional(),
  transcribe: z.boolean().optional(),
  translate: z.boolean().optional(),
  translateLanguages: z.array(z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language code such as es or pt-BR")).max(10).optional(),
  redactPii: z.boolean().optional(),
  /** The default survey: a published version of this organization, by id and version; null for none. */
  survey: versionRefSchema.nullable().optional(),
  shopperScript: versionRefSchema.nullable().optional(),
  disclosureText: z.string().trim().min(1).max(500).optional(),
  /** The `version` the change was made from: when the configuration has moved on since, 409 `stale_version` and nothing changes. */
  basedOn: z.number().int().min(0).max(2147483647).optional(),
});
export type VoiceConfigUpdate = z.infer<typeof voiceConfigUpdateSchema>;

/** Whether the caller may use a feature, and if not, why (for disabled controls with a hint). */
export const capabilitySchema = z.object({
  allowed: z.boolean(),
  reason: z.enum(["role", "plan"]).nullable(),
  /** The plan that unlocks it, when the reason is the plan. */
  requiredPlan: z.string().nullable(),
  /** The roles that may (lib/rbac/policy.ts), so a page can say who can without the policy table. */
  roles: z.array(z.string()),
});
export type Capability = z.infer<typeof capabilitySchema>;

export const CAPABILITY_ACTIONS = [
  "calls.place",
  "voice_config.update",
  "recording.enable",
  "recording.play",
  "transcript.original",
  "translation.enable",
  "translation.read",
  "survey.enable",
  "survey.manage",
  "survey.read",
  "shopper.run",
  "numbers.view",
  "evidence.export",
] as const;

export const voiceConfigResponseSchema = z.object({
  config: voiceConfigViewSchema,
  capabilities: z.record(z.enum(CAPABILITY_ACTIONS), capabilitySchema),
  /** "simulated" in the embedded default: the page says so plainly. */
  carrier: z.enum(["simulated", "signalwire", "unconfigured"]),
  /** What the simulated carrier cannot do here (no speech synthesis: recordings come back absent). */
  carrierNotice: z.string().nullable(),
  /** "simulated" when the transcriber simulator stands in for AssemblyAI. */
  transcriber: z.enum(["simulated", "assemblyai", "unconfigured"]),
});
export type VoiceConfigResponse = z.infer<typeof voiceConfigResponseSchema>;
