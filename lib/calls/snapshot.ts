import { z } from "zod";
import { pgInt4 } from "@/lib/pg-safe";
import { shopperScriptSchema, surveySchema } from "@/lib/surveys/documents";

/**
 * The modulation snapshot: the modulations a call runs with, copied from the organization's
 * voice config (and the request's toggles) when the call is created and stored in
 * `calls.modulations`. (Not to be confused with the organization's billing plan.)
 * Everything downstream (LaML, webhooks, jobs, the UI) reads this, never today's org config.
 * Pure: safe for client bundles and tests.
 */
export const e164Schema = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number such as +15551234567");

export const flowSchema = z.enum(["direct", "bridge"]);

export const modulationSnapshotSchema = z.object({
  flow: flowSchema,
  /** Caller id presented to the called party. */
  from: e164Schema,
  /** The party the call is about. */
  to: e164Schema,
  /** Bridge flow: the operator's phone, dialled first. */
  operatorPhone: e164Schema.nullable(),
  record: z.boolean(),
  transcribe: z.boolean(),
  translate: z.object({ languages: z.array(z.string().min(2).max(10)).min(1) }).nullable(),
  /**
   * PII redaction of the transcript and its audio (the organization's setting when the call was
   * placed). Absent in snapshots taken before redaction existed: off.
   */
  redact: z.boolean().optional(),
  /** Spoken to every party before recording starts; present exactly when `record` is true. */
  disclosure: z.string().min(1).max(500).nullable(),
  survey: surveySchema.nullable(),
  shopperScript: shopperScriptSchema.nullable(),
  /** voice_configs.version the snapshot was taken from. */
  configVersion: pgInt4.min(1),
});

export type ModulationSnapshot = z.infer<typeof modulationSnapshotSchema>;
export type Flow = z.infer<typeof flowSchema>;

/** The number the REST create-call dials: the operator in the bridge flow, else the target. */
export function dialledNumber(snapshot: Pick<ModulationSnapshot, "flow" | "to" | "operatorPhone">): string {
  return snapshot.flow === "bridge" && snapshot.operatorPhone ? snapshot.operatorPhone : snapshot.to;
}
