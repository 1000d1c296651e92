import "server-only";
import type { CallDetail, CallEventView, CallSummary, RecordingSummary, SurveyAnswerView } from "@/lib/calls/contracts";
import { callPlanSchema, type CallPlan, type Flow } from "@/lib/calls/plan";
import type { CallStatus } from "@/lib/calls/state-machine";
import type { Tx } from "@/lib/db";
import { ValidationError } from "@/lib/errors";
import type { Membership } from "@/lib/rbac/authorize";
import { allows } from "@/lib/rbac/policy";

/**
 * Reads of calls for the page and the API, always run under RLS (`withUser`) and filtered by
 * organization as well. What a role may see is decided by the caller and passed in as `view`.
 */
export interface CallView {
  /** Unmasked phone numbers (`numbers.view`). */
  numbers: boolean;
  /** Recording details (`recording.play`). */
  recordings: boolean;
  /** Survey answers (`survey.read`). */
  surveys: boolean;
}

/** What this member's role and plan let them see of a call. */
export function viewFor(m: Pick<Membership, "role" | "plan">): CallView {
  return {
    numbers: allows(m.role, m.plan, "numbers.view"),
    recordings: allows(m.role, m.plan, "recording.play"),
    surveys: allows(m.role, m.plan, "survey.read"),
  };
}

interface CallRow {
  id: string;
  status: CallStatus;
  flow: Flow;
  toNumber: string;
  fromNumber: string;
  createdAt: string;
  updatedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  plan: unknown;
  dialError: { code: string; message: string } | null;
}

interface RecordingRow {
  id: string;
  callId: string;
  status: RecordingSummary["status"];
  durationSeconds: number | null;
  channels: number | null;
  bytes: string | null;
  sha256: string | null;
}

/** `+15551230123` → `+1•••••••23`: the country code and the last two digits. */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/^\+/, "");
  const country = digits.length > 10 ? digits.slice(0, digits.length - 10) : digits.slice(0, 1);
  return `+${country}${"•".repeat(Math.max(digits.length - country.length - 2, 0))}${digits.slice(-2)}`;
}

function recordingSummary(row: RecordingRow): RecordingSummary {
  return {
    id: row.id,
    status: row.status,
    durationSeconds: row.durationSeconds,
    channels: row.channels,
    bytes: row.bytes === null ? null : Number(row.bytes),
    sha256: row.sha256,
  };
}

function summary(row: CallRow, view: CallView, recording: RecordingRow | undefined): CallSummary {
  const plan = callPlanSchema.safeParse(row.plan);
  const p = plan.success ? plan.data : null;
  return {
    id: row.id,
    status: row.status,
    flow: row.flow,
    to: view.numbers ? row.toNumber : maskNumber(row.toNumber),
    from: view.numbers ? row.fromNumber : maskNumber(row.fromNumber),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    answeredAt: row.answeredAt,
    endedAt: row.endedAt,
    durationSeconds: row.durationSeconds,
    modulations: {
      record: p?.record ?? false,
      transcribe: p?.transcribe ?? false,
      translate: Boolean(p?.translate),
      survey: Boolean(p?.survey),
      shopperScript: Boolean(p?.shopperScript),
    },
    dialError: row.dialError,
    recording: view.recordings && recording ? recordingSummary(recording) : null,
  };
}

const CALL_COLUMNS = (tx: Tx) => tx`
  c.id, c.status::text as status, c.flow, c.to_number as "toNumber", c.from_number as "fromNumber",
  to_json(c.created_at) #>> '{}' as "createdAt", to_json(c.updated_at) #>> '{}' as "updatedAt",
  to_json(c.answered_at) #>> '{}' as "answeredAt", to_json(c.ended_at) #>> '{}' as "endedAt", c.duration_seconds as "durationSeconds", c.plan, c.dial_error as "dialError"`;

async function latestRecordings(tx: Tx, orgId: string, callIds: string[]): Promise<Map<string, RecordingRow>> {
  if (callIds.length === 0) return new Map();
  const rows = await tx<RecordingRow[]>`
    select distinct on (call_id) id, call_id as "callId", status, duration_seconds as "durationSeconds",
           channels, bytes::text as bytes, sha256
    from public.recordings
    where organization_id = ${orgId} and call_id = any(${callIds}::uuid[])
    order by call_id, created_at desc`;
  return new Map(rows.map((r) => [r.callId, r]));
}

function encodeCursor(row: CallRow): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new ValidationError("The `before` cursor is not one this API gave out.");
  }
  return { at, id };
}

export async function listCalls(
  tx: Tx,
  { orgId, before, limit, view }: { orgId: string; before?: string; limit: number; view: CallView },
): Promise<{ calls: CallSummary[]; nextBefore: string | null }> {
  const cursor = before ? decodeCursor(before) : null;
  const rows = await tx<CallRow[]>`
    select ${CALL_COLUMNS(tx)}
    from public.calls c
    where c.organization_id = ${orgId}
      ${cursor ? tx`and (c.created_at, c.id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : tx``}
    order by c.created_at desc, c.id desc
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const recordings = view.recordings ? await latestRecordings(tx, orgId, page.map((r) => r.id)) : new Map();
  return {
    calls: page.map((row) => summary(row, view, recordings.get(row.id))),
    nextBefore: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}

async function callRow(tx: Tx, orgId: string, callId: string): Promise<CallRow | undefined> {
  const [row] = await tx<CallRow[]>`
    select ${CALL_COLUMNS(tx)} from public.calls c where c.organization_id = ${orgId} and c.id = ${callId}`;
  return row;
}

export async function findCall(tx: Tx, { orgId, callId, view }: { orgId: string; callId: string; view: CallView }): Promise<CallSummary | null> {
  const row = await callRow(tx, orgId, callId);
  if (!row) return null;
  const recordings = view.recordings ? await latestRecordings(tx, orgId, [row.id]) : new Map();
  return summary(row, view, recordings.get(row.id));
}

function eventSummary(kind: string, payload: Record<string, unknown>): string {
  const p = payload as Record<string, string | undefined>;
  switch (kind) {
    case "provider.status":
    case "reconcile.status":
      return `Call ${p.CallStatus ?? "?"}${p.CallDuration ? ` after ${p.CallDuration}s` : ""}`;
    case "provider.recording":
      return `Recording ${p.RecordingStatus ?? "?"}${p.RecordingDuration ? ` (${p.RecordingDuration}s)` : ""}`;
    case "provider.gather":
      return `Survey question ${Number(p.question ?? 0) + 1}: ${p.Digits ? "answered" : "no answer"}`;
    case "provider.dial":
      return `Target leg ${p.DialCallStatus ?? "?"}`;
    default:
      return typeof p.message === "string" ? p.message : kind;
  }
}

export async function getCallDetail(
  tx: Tx,
  { orgId, callId, view }: { orgId: string; callId: string; view: CallView },
): Promise<CallDetail | null> {
  const row = await callRow(tx, orgId, callId);
  if (!row) return null;
  const events = await tx<{ id: string; kind: string; occurredAt: string; payload: Record<string, unknown> }[]>`
    select id::text, kind, to_json(occurred_at) #>> '{}' as "occurredAt", payload
    from public.call_events where organization_id = ${orgId} and call_id = ${callId}
    order by occurred_at, id`;
  const recordings = view.recordings
    ? await tx<RecordingRow[]>`
        select id, call_id as "callId", status, duration_seconds as "durationSeconds", channels, bytes::text as bytes, sha256
        from public.recordings where organization_id = ${orgId} and call_id = ${callId} order by created_at`
    : [];
  const answers = view.surveys
    ? await tx<SurveyAnswerView[]>`
        select question_index as "questionIndex", question_id as "questionId", answer, attempts
        from public.survey_answers where organization_id = ${orgId} and call_id = ${callId} order by question_index`
    : null;
  const plan: CallPlan | null = callPlanSchema.safeParse(row.plan).data ?? null;
  return {
    // Recordings come oldest first; the summary shows the latest, as the list does.
    ...summary(row, view, recordings.at(-1)),
    plan: view.numbers ? plan : plan && { ...plan, to: maskNumber(plan.to), from: maskNumber(plan.from), operatorPhone: null },
    events: events.map((e): CallEventView => ({ id: Number(e.id), kind: e.kind, occurredAt: e.occurredAt, summary: eventSummary(e.kind, e.payload) })),
    recordings: recordings.map(recordingSummary),
    surveyAnswers: answers,
  };
}
