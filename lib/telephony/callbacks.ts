import "server-only";
import { z } from "zod";
import { ValidationError } from "@/lib/errors";
import { parsePgInt4Digits, parsePgTimestamp, pgText, isUuid } from "@/lib/pg-safe";

/**
 * The fields of SignalWire's callbacks, each checked against its documented domain.
 *
 * SignalWire signs the URL plus every key and value concatenated without separators, so a
 * captured callback can be re-split into other fields (`CallStatus=ringingDirectionoutbound-api`)
 * and still verify. A re-split always leaves some field outside its domain, so: only fields
 * listed here are read, stored or used in a dedupe key, each only when valid.
 *
 * - identity (CallSid, RecordingSid, DialCallSid): required ones missing or malformed → 400;
 *   an optional one present but malformed → 400 too, since it names what the event is about;
 * - the event's status (CallStatus, RecordingStatus, DialCallStatus): missing → 400, outside the
 *   documented values → the caller acknowledges the event and stores nothing;
 * - SequenceNumber is part of the status dedupe key: present but malformed → not stored;
 * - everything else is optional: outside its domain it is dropped and the event is kept.
 */

/** Twilio-style sids (two letters and 32 hex digits), which the compatibility API also accepts. */
const TWILIO_SID = /^[A-Z]{2}[0-9a-f]{32}$/i;
const providerSidSchema = z.string().refine((v) => isUuid(v) || TWILIO_SID.test(v), "must be a SignalWire sid (a UUID)");

const CALL_STATUS_VALUES = [
  "queued", "initiated", "ringing", "answered", "in-progress", "completed", "busy", "failed", "no-answer", "canceled",
] as const;
const RECORDING_STATUS_VALUES = ["in-progress", "completed", "absent", "failed"] as const;
const DIAL_CALL_STATUS_VALUES = ["queued", "initiated", "ringing", "answered", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"] as const;

/** A whole-number count from a form field: digits only, bounded. */
const count = (max: number) => z.string().transform((v, ctx) => {
  const n = parsePgInt4Digits(v, max);
  if (n === null) {
    ctx.addIssue({ code: "custom", message: `must be a whole number up to ${max}` });
    return z.NEVER;
  }
  return n;
});

/** A timestamp as SignalWire sends it (RFC 2822) or ISO 8601, within 1970–2200; kept as ISO. */
const timestamp = z.string().transform((v, ctx) => {
  const date = parsePgTimestamp(v);
  if (!date) {
    ctx.addIssue({ code: "custom", message: "must be a date between 1970 and 2200" });
    return z.NEVER;
  }
  return date;
});


/** Each optional field and the value it becomes. Keys not listed here are never read or stored. */
const optionalFields = {
  CallSid: providerSidSchema,
  SequenceNumber: count(2147483647),
  Timestamp: timestamp,
  CallDuration: count(7 * 24 * 3600),
  Direction: z.enum(["inbound", "outbound-api", "outbound-dial"]),
  CallbackSource: z.enum(["call-progress-events"]),
  AnsweredBy: z.enum(["human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax", "unknown"]),
  RecordingDuration: count(7 * 24 * 3600),
  RecordingChannels: count(2),
  RecordingSource: z.enum(["RecordVerb", "DialVerb", "Conference", "OutboundAPI", "Trunking", "StartCallRecordingAPI"]),
  RecordingStartTime: timestamp,
  ErrorCode: z.string().regex(/^\d{1,6}$/),
  Digits: z.string().regex(/^(?:[0-9*#]{1,32}|hangup)$/),
  /** What speech recognition heard: text, at most 2,000 characters, no NUL or lone surrogates. */
  SpeechResult: pgText.max(2000).refine((v) => v.trim() !== "", "must not be blank"),
  /** Recognition confidence, 0 to 1, as a decimal. */
  Confidence: z.string().regex(/^(?:0(?:\.\d{1,10})?|1(?:\.0{1,10})?|\.\d{1,10})$/).transform(Number),
  DialCallSid: providerSidSchema,
  DialCallDuration: count(7 * 24 * 3600),
} as const;

type OptionalField = keyof typeof optionalFields;
type Parsed<K extends OptionalField> = z.output<(typeof optionalFields)[K]>;

/** The valid optional fields of a form; invalid ones are left out (and named in `dropped`). */
function optional<K extends OptionalField>(form: Record<string, string>, names: readonly K[]) {
  const values: { [P in K]?: Parsed<P> } = {};
  const raw: Record<string, string> = {};
  const dropped: string[] = [];
  for (const name of names) {
    const value = form[name];
    if (value === undefined || value === "") continue;
    const parsed = optionalFields[name].safeParse(value);
    if (parsed.success) {
      (values as Record<string, unknown>)[name] = parsed.data;
      raw[name] = value;
    } else {
      dropped.push(name);
    }
  }
  return { values, raw, dropped };
}

function requireSid(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (value === undefined || value === "") throw new ValidationError(`The ${name} field is missing.`, { field: name });
  if (!providerSidSchema.safeParse(value).success) throw new ValidationError(`The ${name} field is not a SignalWire sid.`, { field: name });
  return value;
}

/** An optional sid that, when present, must be well formed: it says which call the event is about. */
function identity(form: Record<string, string>, name: "CallSid" | "DialCallSid"): string | undefined {
  const value = form[name];
  if (value === undefined || value === "") return undefined;
  return requireSid(form, name);
}

function requireStatus<T extends string>(form: Record<string, string>, name: string, values: readonly T[]): T | null {
  const value = form[name];
  if (value === undefined || value === "") throw new ValidationError(`The ${name} field is missing.`, { field: name });
  return (values as readonly string[]).includes(value) ? (value as T) : null;
}

export type Ignored = { ignored: string };

export interface StatusCallback {
  callSid: string;
  callStatus: (typeof CALL_STATUS_VALUES)[number];
  sequence: number | null;
  occurredAt: Date | null;
  durationSeconds: number | null;
  /** What goes on the timeline: the valid known fields as sent (URLs and AccountSid never). */
  payload: Record<string, string>;
  dropped: string[];
}

/**
 * What a status callback may put on the timeline. Not `From` and `To`: they are the call's own
 * numbers, already on its row (sealed, docs/adr/0044), and the timeline would keep them in the clear.
 */
const STATUS_FIELDS = ["SequenceNumber", "Timestamp", "CallDuration", "Direction", "CallbackSource", "AnsweredBy"] as const;

export function parseStatusCallback(form: Record<string, string>): StatusCallback | Ignored {
  const callSid = requireSid(form, "CallSid");
  const callStatus = requireStatus(form, "CallStatus", CALL_STATUS_VALUES);
  if (!callStatus) return { ignored: "unknown CallStatus" };
  const { values, raw, dropped } = optional(form, STATUS_FIELDS);
  if (dropped.includes("SequenceNumber")) return { ignored: "malformed SequenceNumber" };
  return {
    callSid,
    callStatus,
    sequence: values.SequenceNumber ?? null,
    occurredAt: values.Timestamp ?? null,
    durationSeconds: values.CallDuration ?? null,
    payload: { CallSid: callSid, CallStatus: callStatus, ...raw },
    dropped,
  };
}

export interface RecordingCallback {
  callSid: string | undefined;
  recordingSid: string;
  recordingStatus: (typeof RECORDING_STATUS_VALUES)[number];
  /** The provider's media URL: a secret, never stored in a table. */
  recordingUrl: string | undefined;
  durationSeconds: number | null;
  channels: number | null;
  startedAt: Date | null;
  payload: Record<string, string>;
  dropped: string[];
}

const RECORDING_FIELDS = ["RecordingDuration", "RecordingChannels", "RecordingSource", "RecordingStartTime", "ErrorCode"] as const;

/** What the carrier says of an `absent` recording, in words: it names no cause beyond an error code. */
export function absentRecordingReason(errorCode: unknown): string {
  return `The carrier reported that no recording was made${typeof errorCode === "string" && errorCode ? ` (error code ${errorCode})` : ""}.`;
}

export function parseRecordingCallback(form: Record<string, string>): RecordingCallback | Ignored {
  const recordingSid = requireSid(form, "RecordingSid");
  const callSid = identity(form, "CallSid");
  const recordingStatus = requireStatus(form, "RecordingStatus", RECORDING_STATUS_VALUES);
  if (!recordingStatus) return { ignored: "unknown RecordingStatus" };
  const { values, raw, dropped } = optional(form, RECORDING_FIELDS);
  return {
    callSid,
    recordingSid,
    recordingStatus,
    recordingUrl: form.RecordingUrl,
    durationSeconds: values.RecordingDuration ?? null,
    channels: values.RecordingChannels ?? null,
    startedAt: values.RecordingStartTime ?? null,
    payload: { ...(callSid ? { CallSid: callSid } : {}), RecordingSid: recordingSid, RecordingStatus: recordingStatus, ...raw },
    dropped,
  };
}

export interface GatherCallback {
  callSid: string | undefined;
  /** Keypad digits, or undefined when absent or not keypad input (which counts as no answer). */
  digits: string | undefined;
  /** Recognised speech with its confidence (null when the carrier sent none or a malformed one). */
  speech: { text: string; confidence: number | null } | undefined;
  /** For the timeline: the valid fields, the spoken words themselves left out (they are content). */
  payload: Record<string, string>;
  dropped: string[];
}

export function parseGatherCallback(form: Record<string, string>): GatherCallback {
  const callSid = identity(form, "CallSid");
  const { values, raw, dropped } = optional(form, ["Digits", "SpeechResult", "Confidence"]);
  const { SpeechResult: _words, ...shown } = raw;
  const speech = values.SpeechResult === undefined ? undefined : { text: values.SpeechResult, confidence: values.Confidence ?? null };
  return {
    callSid,
    digits: values.Digits,
    speech,
    payload: { ...(callSid ? { CallSid: callSid } : {}), ...shown, ...(speech ? { Speech: "received" } : {}) },
    dropped,
  };
}

export interface DialCallback {
  callSid: string | undefined;
  dialCallSid: string | undefined;
  /** null when the form has no DialCallStatus or one outside the documented values. */
  dialCallStatus: (typeof DIAL_CALL_STATUS_VALUES)[number] | null;
  payload: Record<string, string>;
  dropped: string[];
}

/** The Dial action's form (and any LaML fetch, which carries the call's own fields). */
export function parseDialCallback(form: Record<string, string>): DialCallback {
  const callSid = identity(form, "CallSid");
  const dialCallSid = identity(form, "DialCallSid");
  const status = form.DialCallStatus;
  const dialCallStatus = status && (DIAL_CALL_STATUS_VALUES as readonly string[]).includes(status)
    ? (status as DialCallback["dialCallStatus"])
    : null;
  const { raw, dropped } = optional(form, ["DialCallDuration", "RecordingDuration"]);
  return {
    callSid,
    dialCallSid,
    dialCallStatus,
    payload: {
      ...(callSid ? { CallSid: callSid } : {}),
      ...(dialCallSid ? { DialCallSid: dialCallSid } : {}),
      ...(dialCallStatus ? { DialCallStatus: dialCallStatus } : {}),
      ...raw,
    },
    dropped,
  };
}

export function isIgnored(value: object): value is Ignored {
  return "ignored" in value;
}

/** The LaML document's query: which step of the call's flow (`/api/laml/{callId}?step=`). */
export const lamlQuerySchema = z.object({
  step: z.enum(["start", "whisper", "after-record", "after-dial"], { error: "step must be one of start, whisper, after-record, after-dial." }),
});

/** A survey Gather action's query: the question and the attempt (`/api/laml/{callId}/gather?q=&attempt=`). */
export const gatherQuerySchema = z.object({
  q: z.string({ error: "q (question number) is required" }).regex(/^\d{1,2}$/, "q must be a question number").transform(Number).pipe(z.number().max(20)),
  attempt: z.enum(["1", "2"], { error: "attempt must be 1 or 2" }).transform((v) => Number(v) as 1 | 2),
});
