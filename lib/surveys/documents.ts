import { z } from "zod";
import { criterionSchema, rubricSchema } from "@/lib/surveys/scorer";
import { isPgText, pgInt4, pgText } from "@/lib/pg-safe";

/**
 * Surveys and shopper scripts as versioned documents (docs/adr/0014). A version's document is
 * what a call runs: `{ id, version, title, … }`. Its SHA-256 is over the document's canonical
 * JSON (lib/evidence/canonical-json.ts) with no `sha256` member; a call's snapshot carries the
 * document with its `sha256` beside it, so LaML stays a pure function of the snapshot and anyone
 * can recompute the hash from what the call ran (`versionHash` in lib/surveys/hash.ts).
 *
 * Drafts are what an owner writes (no id, version or hash: the server assigns them). Client-safe.
 */

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");

const digit = z.number().int().min(0).max(9);
const text = (max: number) => pgText.trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/**
 * Every string of a draft must be one Postgres and the canonical JSON can hold (no NUL, no lone
 * surrogate), including those inside the scorer's criteria, whose schema is the scorer's own.
 */
function storableStrings(value: unknown, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  if (typeof value === "string") {
    if (!isPgText(value)) ctx.addIssue({ code: "custom", message: "must not contain NUL or unpaired surrogates", path });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => storableStrings(v, ctx, [...path, i]));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) storableStrings(v, ctx, [...path, k]);
  }
}

export const keypadRangeSchema = z
  .object({ min: digit, max: digit })
  .refine((k) => k.min <= k.max, { message: "min must not exceed max" });

export const surveyQuestionSchema = z
  .object({
    /** Stable within the survey; survey answers are tied to it. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a question id is 1–64 letters, digits, - or _"),
    prompt: text(500),
    /** Keypad answer: one digit in [min, max]; null when the question takes no keypad answer. */
    keypad: keypadRangeSchema.nullable(),
    /** Spoken answer (SignalWire speech recognition) accepted. */
    speech: z.boolean(),
  })
  .refine((q) => q.keypad !== null || q.speech, { message: "a question takes a keypad answer, speech, or both" });

const questionsSchema = z
  .array(surveyQuestionSchema)
  .min(1)
  .max(10)
  .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, { message: "question ids must be unique" });

export const surveyDraftSchema = z.strictObject({
  title: text(200),
  questions: questionsSchema,
  thankYou: text(500).default("Thank you for your answers. Goodbye."),
});
export type SurveyDraft = z.infer<typeof surveyDraftSchema>;

const identity = { id: z.uuid(), version: pgInt4.min(1) };

export const surveyDocumentSchema = z.object({ ...identity, title: text(200), questions: questionsSchema, thankYou: text(500) });
export type SurveyDocument = z.infer<typeof surveyDocumentSchema>;
export type SurveyQuestion = z.infer<typeof surveyQuestionSchema>;

/** A step of a shopper script: a line the persona says, or a pause (whole seconds). */
export const scriptStepSchema = z.union([
  z.strictObject({ say: text(1000) }),
  z.strictObject({ pause: z.number().int().min(1).max(30) }),
]);
export type ScriptStep = z.infer<typeof scriptStepSchema>;

export const personaSchema = z.object({
  /** Who the shopper plays, for the people who read the script and the scorecard. */
  name: text(100),
  description: pgText.trim().max(500).default(""),
  /** The carrier's text-to-speech voice for the persona's lines; absent → the carrier's default. */
  voice: z.enum(["man", "woman"]).optional(),
});

const stepsSchema = z
  .array(scriptStepSchema)
  .min(1)
  .max(50)
  .refine((steps) => steps.some((s) => "say" in s), { message: "a script says at least one line" });

/** The rubric as an owner writes it: criteria only (id and version are the script's). */
export const rubricDraftSchema = z.strictObject({
  criteria: z.array(criterionSchema).min(1).max(30).superRefine((criteria, ctx) => storableStrings(criteria, ctx)),
});

export const shopperScriptDraftSchema = z.strictObject({
  title: text(200),
  persona: personaSchema,
  steps: stepsSchema,
  rubric: rubricDraftSchema,
});
export type ShopperScriptDraft = z.infer<typeof shopperScriptDraftSchema>;

/** Unrefined, so the snapshot can add `sha256`; use `shopperScriptDocumentSchema`. */
export const shopperScriptFieldsSchema = z.object({ ...identity, title: text(200), persona: personaSchema, steps: stepsSchema, rubric: rubricSchema });

export const rubricIsTheScripts: [
  (s: { id: string; version: number; rubric: { id: string; version: number } }) => boolean,
  { message: string; path: string[] },
] = [
  (s) => s.rubric.id === s.id && s.rubric.version === s.version,
  { message: "the rubric carries the script's id and version", path: ["rubric"] },
];

export const shopperScriptDocumentSchema = shopperScriptFieldsSchema.refine(...rubricIsTheScripts);
export type ShopperScriptDocument = z.infer<typeof shopperScriptDocumentSchema>;

/** The pinned reference a voice config and a call hold. */
export const versionRefSchema = z.strictObject({ id: z.uuid(), version: pgInt4.min(1) });
export type VersionRef = z.infer<typeof versionRefSchema>;

/**
 * A survey or shopper script as the call runs it: the version's document frozen at creation, with the SHA-256 of its canonical JSON beside it. The database refuses a
 * call whose document is not, member for member, the published version with that id, version and
 * hash (private.check_call_library_refs), and never lets a snapshot change afterwards.
 */
export const surveySchema = surveyDocumentSchema.extend({ sha256: sha256HexSchema });
export const shopperScriptSchema = shopperScriptFieldsSchema.extend({ sha256: sha256HexSchema }).refine(...rubricIsTheScripts);
export type Survey = z.infer<typeof surveySchema>;
export type ShopperScript = z.infer<typeof shopperScriptSchema>;

export const LIBRARY_KINDS = ["survey", "shopperScript"] as const;
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

/** A survey version's document from a draft; validated, so a bad draft never gets an id. */
export function surveyDocument(id: string, version: number, draft: SurveyDraft): SurveyDocument {
  return surveyDocumentSchema.parse({ id, version, ...draft });
}

export function shopperScriptDocument(id: string, version: number, draft: ShopperScriptDraft): ShopperScriptDocument {
  return shopperScriptDocumentSchema.parse({
    id,
    version,
    title: draft.title,
    persona: draft.persona,
    steps: draft.steps,
    rubric: { id, version, criteria: draft.rubric.criteria },
  });
}
