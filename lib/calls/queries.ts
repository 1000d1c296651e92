import "server-only";
import { encodeCursor, findCallPage, matchColumn, searchMatch } from "@/lib/calls/call-search";
import { maskNumber, type CallView } from "@/lib/calls/call-view";
import type { CallFilter, CallListResponse, CallSummary, MatchEstimate } from "@/lib/calls/contracts";
import { latestRecordingColumn, recordingSummary, type RecordingRow } from "@/lib/calls/recordings";
import { modulationSnapshotSchema, type Flow } from "@/lib/calls/snapshot";
import type { CallStatus } from "@/lib/calls/state-machine";
import { openCallNumbers } from "@/lib/calls/numbers";
import type { Tx } from "@/lib/db";

/**
 * Reads of calls for the page and the API, always run under RLS (`withUser`) and filtered by
 * organization as well. What a role may see is decided by the caller and passed in as `view`
 * (lib/calls/call-view.ts); the whole call detail is assembled above (lib/call-detail/detail.ts).
 */
export interface CallRow {
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

export function summary(row: CallRow, view: CallView, recording: RecordingRow | undefined): CallSummary {
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
): Promise<{ calls: CallListResponse["calls"]; nextBefore: string | null; matches: MatchEstimate | null }> {
  // The page of matching calls (lib/calls/call-search.ts) with their columns, their latest
  // recordings (when the view shows them) and where they matched `q`, computed for the page's
  // rows only; a filtered first page also says about how many calls match.
  const q = filter?.q?.trim();
  const { rows, resolved, matches } = await findCallPage<CallRow & { match?: Parameters<typeof searchMatch>[0] }>(
    tx,
    { orgId, filter, view, before, limit },
    {
      columns: tx`${CALL_COLUMNS(tx, view)} ${q && view.recordings ? tx`, ${matchColumn(tx, { q, view })}` : tx``}`,
      estimate: true,
    },
  );
  const kept = await openCallNumbers(tx, orgId, rows.slice(0, limit));
  const last = kept.at(-1);
  return {
    calls: kept.map((row) => ({ ...summary(row, view, row.latestRecording ?? undefined), ...(resolved.q ? { match: searchMatch(row.match) } : {}) })),
    nextBefore: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
    matches,
  };
}

export async function callRow(tx: Tx, orgId: string, callId: string, view?: CallView): Promise<CallRow | undefined> {
  const [row] = await tx<CallRow[]>`
    select ${CALL_COLUMNS(tx, view)} from public.calls c where c.organization_id = ${orgId} and c.id = ${callId}`;
  return row && (await openCallNumbers(tx, orgId, [row]))[0];
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
