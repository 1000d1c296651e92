import "server-only";
import { callPage, encodeCursor, matchColumn, planForValues, searchMatch } from "@/lib/calls/call-search";
import type { CallDetail, CallFilter, CallListResponse, CallSummary, CustodyEventView } from "@/lib/calls/contracts";
import { latestRecordingColumn, recordingsOfCall, recordingSummary, type RecordingRow } from "@/lib/calls/recordings";
import { surveyAnswersOfCall } from "@/lib/calls/survey-answers";
import { emailsOf } from "@/lib/orgs/members";
import { readTimeline } from "@/lib/calls/timeline";
import { custodyEventsOfCall } from "@/lib/evidence-sealing/custody";
import { manifestVersionsOfCall } from "@/lib/evidence-sealing/manifests";
import { transcriptionDetail } from "@/lib/intelligence/transcript-view";
import { modulationSnapshotSchema, type ModulationSnapshot, type Flow } from "@/lib/calls/snapshot";
import type { CallStatus } from "@/lib/calls/state-machine";
import type { Tx } from "@/lib/db";
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
  /** Translations (`translation.read`). */
  translations: boolean;
  /** The unredacted original of a redacted call, asked for and allowed (`transcript.original`). */
  original: boolean;
  /** Sealed manifests and the custody record (`evidence.export`). */
  evidence: boolean;
}

/** What this member's role and plan let them see of a call. */
export function viewFor(m: Pick<Membership, "role" | "plan">, { original = false }: { original?: boolean } = {}): CallView {
  return {
    numbers: allows(m.role, m.plan, "numbers.view"),
    recordings: allows(m.role, m.plan, "recording.play"),
    surveys: allows(m.role, m.plan, "survey.read"),
    translations: allows(m.role, m.plan, "translation.read"),
    original: original && allows(m.role, m.plan, "transcript.original"),
    evidence: allows(m.role, m.plan, "evidence.export"),
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
  modulations: unknown;
  dialError: { code: string; message: string } | null;
  /** With `latestRecordingColumn`: the call's latest recording. */
  latestRecording?: RecordingRow | null;
}

/** `+15551230123` → `+1•••••••23`: the country code and the last two digits. */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/^\+/, "");
  const country = digits.length > 10 ? digits.slice(0, digits.length - 10) : digits.slice(0, 1);
  return `+${country}${"•".repeat(Math.max(digits.length - country.length - 2, 0))}${digits.slice(-2)}`;
}

function summary(row: CallRow, view: CallView, recording: RecordingRow | undefined): CallSummary {
  const parsed = modulationSnapshotSchema.safeParse(row.modulations);
  const p = parsed.success ? parsed.data : null;
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

const CALL_COLUMNS = (tx: Tx, view?: CallView) => tx`
  ${view?.recordings ? tx`${latestRecordingColumn(tx)},` : tx``}
  c.id, c.status::text as status, c.flow, c.to_number as "toNumber", c.from_number as "fromNumber",
  to_json(c.created_at) #>> '{}' as "createdAt", to_json(c.updated_at) #>> '{}' as "updatedAt",
  to_json(c.answered_at) #>> '{}' as "answeredAt", to_json(c.ended_at) #>> '{}' as "endedAt", c.duration_seconds as "durationSeconds", c.modulations, c.dial_error as "dialError"`;

export async function listCalls(
  tx: Tx,
  { orgId, before, limit, view, filter }: { orgId: string; before?: string; limit: number; view: CallView; filter?: CallFilter },
): Promise<{ calls: CallListResponse["calls"]; nextBefore: string | null }> {
  // The page of matching calls (lib/calls/call-search.ts), then their columns, their latest
  // recordings (when the view shows them) and where they matched `q`: one statement.
  const { page, customPlan, resolved } = callPage(tx, { orgId, filter, view, before, limit });
  const [, rows] = await Promise.all([
    planForValues(tx, customPlan),
    tx<(CallRow & { at: string; match?: Parameters<typeof searchMatch>[0] })[]>`
      select ${CALL_COLUMNS(tx, view)}, p.at ${resolved.q ? tx`, ${matchColumn(tx, { q: resolved.q, view })}` : tx``}
      from ${page}
      join public.calls c on c.organization_id = ${orgId} and c.id = p.id
      order by p.created_at desc, p.id desc`,
  ]);
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return {
    calls: kept.map((row) => ({ ...summary(row, view, row.latestRecording ?? undefined), ...(resolved.q ? { match: searchMatch(row.match) } : {}) })),
    nextBefore: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
  };
}

async function callRow(tx: Tx, orgId: string, callId: string, view?: CallView): Promise<CallRow | undefined> {
  const [row] = await tx<CallRow[]>`
    select ${CALL_COLUMNS(tx, view)} from public.calls c where c.organization_id = ${orgId} and c.id = ${callId}`;
  return row;
}

/** Whether the organization has this call (under RLS: whether the caller may see it). */
export async function callExists(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<boolean> {
  const rows = await tx`select 1 from public.calls where organization_id = ${orgId} and id = ${callId}`;
  return rows.length > 0;
}

export async function findCall(tx: Tx, { orgId, callId, view }: { orgId: string; callId: string; view: CallView }): Promise<CallSummary | null> {
  const row = await callRow(tx, orgId, callId, view);
  return row ? summary(row, view, row.latestRecording ?? undefined) : null;
}

export async function getCallDetail(
  tx: Tx,
  { orgId, callId, view }: { orgId: string; callId: string; view: CallView },
): Promise<CallDetail | null> {
  // Independent reads, issued together: postgres.js pipelines them on the transaction's
  // connection (one network round trip for the statements). An unknown call reads nothing.
  const [row, events, recordings, answers, transcription, manifests, custody] = await Promise.all([
    callRow(tx, orgId, callId),
    readTimeline(tx, { orgId, callId }),
    view.recordings ? recordingsOfCall(tx, { orgId, callId }) : [],
    view.surveys ? surveyAnswersOfCall(tx, { orgId, callId }) : null,
    transcriptionDetail(tx, { orgId, callId, view: { transcripts: view.recordings, translations: view.translations, original: view.original, scores: view.surveys } }),
    // Evidence for the timeline; RLS allows these reads to the same roles (evidence.export).
    view.evidence ? manifestVersionsOfCall(tx, { orgId, callId }) : null,
    view.evidence ? custodyEventsOfCall(tx, { orgId, callId }) : null,
  ]);
  if (!row) return null;
  const snapshot: ModulationSnapshot | null = modulationSnapshotSchema.safeParse(row.modulations).data ?? null;
  // Who acted on the evidence, by email: the custody record is read by people who must know.
  const actors = custody ? await emailsOf(custody.flatMap((c) => (c.actorUserId ? [c.actorUserId] : []))) : new Map<string, string>();
  return {
    // Recordings come oldest first; the summary shows the latest, as the list does.
    ...summary(row, view, recordings.at(-1)),
    snapshot: view.numbers ? snapshot : snapshot && { ...snapshot, to: maskNumber(snapshot.to), from: maskNumber(snapshot.from), operatorPhone: null },
    events,
    recordings: recordings.map(recordingSummary),
    surveyAnswers: answers,
    ...transcription,
    manifests,
    custody: custody?.map((c) => ({ kind: c.action as CustodyEventView["kind"], actorUserId: c.actorUserId, actorEmail: c.actorUserId ? (actors.get(c.actorUserId) ?? null) : null, occurredAt: c.occurredAt, sha256: c.sha256, hash: c.hash })) ?? null,
  };
}
