import type { Scenario } from "./scenarios";
import type { HttpMethod } from "./webhook-sender";

/**
 * What the simulator remembers about calls and recordings, and the JSON shapes it answers the
 * REST API with. The shapes follow the Twilio-compatible Call and Recording resources that
 * SignalWire's compatibility API returns and that the SDK's CallInstance / RecordingInstance
 * read (snake_case, RFC 2822 dates, durations as strings, UUID sids).
 */

export const API_VERSION = "2010-04-01";

/** Statuses of the Call resource (callbacks additionally use "initiated"). */
export type CallStatus = "queued" | "ringing" | "in-progress" | "completed" | "busy" | "no-answer" | "failed" | "canceled";

export const TERMINAL_STATUSES: ReadonlySet<CallStatus> = new Set(["completed", "busy", "no-answer", "failed", "canceled"]);

export type WebhookKind = "status" | "laml" | "gather" | "record" | "recording" | "dial" | "whisper" | "redirect";

/** One webhook as the app saw it (one entry per delivery, so a duplicated callback is two). */
export interface WebhookLogEntry {
  kind: WebhookKind;
  url: string;
  method: HttpMethod;
  params: Record<string, string>;
  attempts: number;
  status: number | undefined;
  ok: boolean;
  error: string | undefined;
  at: string;
}

export interface RecordingRecord {
  sid: string;
  callSid: string;
  channels: 1 | 2;
  durationSeconds: number;
  source: "RecordVerb" | "DialVerb" | "OutboundAPI";
  /** `absent` when no audio could be made: the carrier reports it so and serves nothing. */
  status: "completed" | "absent";
  /** Why it is absent (the simulator's log and snapshots; the carrier's API has no such text). */
  error: string | null;
  audio: Buffer;
  sha256: string;
  createdAt: Date;
  downloads: number;
}

export interface SimulatedCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  url: string | undefined;
  method: HttpMethod;
  twiml: string | undefined;
  statusCallback: string | undefined;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: ReadonlySet<string>;
  record: boolean;
  recordingChannels: 1 | 2;
  recordingStatusCallback: string | undefined;
  recordingStatusCallbackMethod: HttpMethod;
  recordingStatusCallbackEvents: ReadonlySet<string>;
  machineDetection: boolean;
  scenario: Scenario;
  status: CallStatus;
  dateCreated: Date;
  dateUpdated: Date;
  startTime: Date | undefined;
  endTime: Date | undefined;
  durationSeconds: number | undefined;
  /** Next SequenceNumber for this call's status callbacks. */
  sequence: number;
  webhooks: WebhookLogEntry[];
  recordingSids: string[];
  digitsSent: string[];
  /** SpeechResults sent to speech Gathers, in order. */
  speechSent: string[];
  /** Traps the simulator noticed, e.g. a recording nobody was told about. */
  warnings: string[];
  error: string | undefined;
  /** Aborted by a REST hang-up (Status=completed|canceled) or by stop(). */
  controller: AbortController;
  hangupRequested: boolean;
  /** True once the simulator has nothing more to send for this call. */
  settled: boolean;
}

/** RFC 2822 in the exact form the SDK's deserializer parses: "Tue, 03 Nov 2026 09:15:02 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

function accountPath(accountSid: string): string {
  return `/api/laml/${API_VERSION}/Accounts/${accountSid}`;
}

export function recordingPath(accountSid: string, recordingSid: string): string {
  return `${accountPath(accountSid)}/Recordings/${recordingSid}`;
}

export function callResource(call: SimulatedCall): Record<string, unknown> {
  const base = `${accountPath(call.accountSid)}/Calls/${call.sid}`;
  return {
    sid: call.sid,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    parent_call_sid: null,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: null,
    status: call.status,
    start_time: call.startTime ? rfc2822(call.startTime) : null,
    end_time: call.endTime ? rfc2822(call.endTime) : null,
    duration: call.durationSeconds === undefined ? null : String(call.durationSeconds),
    price: null,
    price_unit: "USD",
    direction: "outbound-api",
    answered_by: call.machineDetection && call.startTime ? "human" : null,
    annotation: null,
    api_version: API_VERSION,
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: "0",
    trunk_sid: null,
    uri: `${base}.json`,
    subresource_uris: {
      notifications: `${base}/Notifications.json`,
      recordings: `${base}/Recordings.json`,
    },
  };
}

export function recordingResource(accountSid: string, recording: RecordingRecord): Record<string, unknown> {
  return {
    sid: recording.sid,
    account_sid: accountSid,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: rfc2822(recording.createdAt),
    date_updated: rfc2822(recording.createdAt),
    start_time: rfc2822(recording.createdAt),
    duration: String(recording.durationSeconds),
    channels: recording.channels,
    source: recording.source,
    status: recording.status,
    price: null,
    price_unit: "USD",
    error_code: null,
    encryption_details: null,
    api_version: API_VERSION,
    uri: `${recordingPath(accountSid, recording.sid)}.json`,
    subresource_uris: {},
  };
}

/** Twilio-style error body; the SDK's RestException reads code, message, more_info, status. */
export function errorBody(status: number, code: number, message: string): Record<string, unknown> {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** A JSON-friendly view of a call for tests and the control API (no AbortController, no audio). */
export interface CallSnapshot {
  sid: string;
  to: string;
  from: string;
  /** What the create-call request asked for, as the provider received it. */
  request: {
    url: string | undefined;
    statusCallback: string | undefined;
    statusCallbackEvents: string[];
    record: boolean;
    recordingStatusCallback: string | undefined;
  };
  scenario: Scenario;
  status: CallStatus;
  durationSeconds: number | undefined;
  webhooks: WebhookLogEntry[];
  recordings: Array<{
    sid: string;
    channels: 1 | 2;
    durationSeconds: number;
    source: string;
    sha256: string;
    bytes: number;
    status: "completed" | "absent";
    error: string | null;
  }>;
  digitsSent: string[];
  speechSent: string[];
  warnings: string[];
  error: string | undefined;
  /** True once the simulator has nothing more to send for this call. */
  settled: boolean;
}
