import "server-only";
import type { RecordingSummary } from "@/lib/calls/contracts";
import { checkCallSid, lockCall } from "@/lib/calls/lock";
import { appendCallEvent } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { ValidationError } from "@/lib/errors";
import { enqueue } from "@/lib/jobs/enqueue";
import { absentRecordingReason, isIgnored, parseRecordingCallback } from "@/lib/telephony/callbacks";
import { recordingUrlProblem, type RecordingSources } from "@/lib/telephony/recording-source";

/**
 * Recordings: the one module that reads and writes `public.recordings`. A row appears when the
 * provider reports a recording (`pending`, with its ingest job) or says none was captured
 * (`absent`); ingest makes it `stored` (frozen from then on by trigger) or `failed`; the
 * reconciler records `missing` ones and settles rows left pending. Every change that a person
 * would want to see also goes on the call's timeline, in the same transaction.
 */

type Call = { id: string; orgId: string };

export type RecordingStatus = RecordingSummary["status"];

export interface ReportedRecording {
  sid: string;
  /** The provider's media URL without extension: a secret, it goes only into the job. */
  url: string;
  durationSeconds: number | null;
  channels: number | null;
}

/**
 * A recording the provider has: a pending row and its ingest job, once per RecordingSid
 * whoever reports it (the callback or the reconciler). Returns the row id when it is pending.
 */
export async function registerRecording(tx: Tx, call: Call, r: ReportedRecording): Promise<string | null> {
  const channels = r.channels !== null && r.channels >= 1 && r.channels <= 2 ? r.channels : null;
  const [row] = await tx<{ id: string; status: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, duration_seconds, channels)
    values (${call.orgId}, ${call.id}, ${r.sid}, 'pending', ${r.durationSeconds}, ${channels})
    on conflict (provider_recording_sid) do update set provider_recording_sid = excluded.provider_recording_sid
    returning id, status`;
  if (!row || row.status !== "pending") return null;
  await enqueue(tx, "ingest_recording", {
    recordingId: row.id,
    orgId: call.orgId,
    callId: call.id,
    recordingSid: r.sid,
    recordingUrl: r.url,
    ...(r.durationSeconds !== null ? { durationSeconds: r.durationSeconds } : {}),
  }, { jobKey: `ingest:${r.sid}` });
  return row.id;
}

/** A recording the provider reports it could not capture. */
export async function registerAbsentRecording(tx: Tx, call: Call, sid: string, error: string | null): Promise<boolean> {
  const rows = await tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, error)
    values (${call.orgId}, ${call.id}, ${sid}, 'absent', ${error})
    on conflict (provider_recording_sid) do nothing
    returning id`;
  return rows.length > 0;
}

/**
 * A recording callback: `completed` makes a pending recordings row and enqueues the ingest job
 * (keyed by RecordingSid, so a repeat never ingests twice); `absent` records that the provider
 * captured nothing. The RecordingUrl goes only into the job payload, never a table.
 */
export async function handleRecordingCallback(
  tx: Tx,
  callId: string,
  form: Record<string, string>,
  sources: RecordingSources,
): Promise<{ stored: boolean; ignored?: string; dropped?: string[] }> {
  const cb = parseRecordingCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  // Only the carrier's own host (or the simulator's origin): a signed callback must not be able
  // to point our download anywhere else (lib/telephony/recording-source.ts).
  const problem = cb.recordingStatus === "completed" ? recordingUrlProblem(cb.recordingUrl ?? "", sources) : null;
  if (problem) throw new ValidationError(`RecordingUrl: ${problem}`, { field: "RecordingUrl" });
  // The provider's media URL ends in the recording's own sid (…/Recordings/{RecordingSid}); one that
  // does not was cut from another string (a re-split) or names another recording.
  if (cb.recordingStatus === "completed" && new URL(cb.recordingUrl!).pathname.split("/").at(-1) !== cb.recordingSid) {
    throw new ValidationError("RecordingUrl does not name this RecordingSid.", { field: "RecordingUrl" });
  }
  const stored = await appendCallEvent(tx, call, "provider.recording", cb.payload, {
    dedupeKey: `recording:${cb.recordingSid}:${cb.recordingStatus}`,
    occurredAt: cb.startedAt,
  });
  if (!stored) return { stored, dropped: cb.dropped };

  if (cb.recordingStatus === "completed") {
    await registerRecording(tx, call, { sid: cb.recordingSid, url: cb.recordingUrl!, durationSeconds: cb.durationSeconds, channels: cb.channels });
  } else if (cb.recordingStatus === "absent") {
    await registerAbsentRecording(tx, call, cb.recordingSid, absentRecordingReason(cb.payload.ErrorCode));
  }
  return { stored, dropped: cb.dropped };
}

// ---- ingest ---------------------------------------------------------------------------------

export interface IngestTarget {
  recordingId: string;
  orgId: string;
  callId: string;
  recordingSid: string;
}

export interface IngestRow {
  id: string;
  status: RecordingStatus;
  durationSeconds: number | null;
  channels: number | null;
}

export async function recordingForIngest(tx: Tx, t: IngestTarget): Promise<IngestRow | undefined> {
  const [row] = await tx<IngestRow[]>`
    select id, status, duration_seconds as "durationSeconds", channels
    from public.recordings
    where id = ${t.recordingId} and organization_id = ${t.orgId} and call_id = ${t.callId}`;
  return row;
}

export interface StoredAudio {
  path: string;
  sha256: string;
  bytes: number;
  durationSeconds: number | null;
  channels: number | null;
  mediaType: string;
}

/** The audio is in storage: the row becomes `stored` (once) and the timeline says so. */
export async function markRecordingStored(tx: Tx, t: IngestTarget, audio: StoredAudio): Promise<boolean> {
  const updated = await tx`
    update public.recordings set
      status = 'stored', storage_path = ${audio.path}, sha256 = ${audio.sha256}, bytes = ${audio.bytes},
      duration_seconds = ${audio.durationSeconds}, channels = ${audio.channels}, media_type = ${audio.mediaType},
      stored_at = now(), error = null
    where id = ${t.recordingId} and organization_id = ${t.orgId} and call_id = ${t.callId}
      and status <> 'stored'
    returning id`;
  if (updated.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "recording.stored", {
    recordingId: t.recordingId,
    recordingSid: t.recordingSid,
    sha256: audio.sha256,
    bytes: audio.bytes,
    durationSeconds: audio.durationSeconds,
    channels: audio.channels,
    mediaType: audio.mediaType,
  }, { dedupeKey: `recording.stored:${t.recordingSid}` });
  return true;
}

/** Ingest gave up (or the reconciler did): the row becomes `failed` with why, and the timeline says so. */
export async function markRecordingFailed(tx: Tx, t: IngestTarget, error: string, attempts?: number): Promise<boolean> {
  const updated = await tx`
    update public.recordings set status = 'failed', error = ${error}
    where id = ${t.recordingId} and organization_id = ${t.orgId} and call_id = ${t.callId}
      and status in ('pending', 'failed')
    returning id`;
  if (updated.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "recording.failed", {
    recordingId: t.recordingId,
    recordingSid: t.recordingSid,
    error,
    ...(attempts !== undefined ? { attempts } : {}),
  }, { dedupeKey: `recording.failed:${t.recordingSid}` });
  return true;
}

// ---- the reconciler's view --------------------------------------------------------------------

/** Rows pending past the threshold (their ingest job may be gone: the reconciler checks). */
export async function pendingRecordingsOlderThan(tx: Tx, { thresholdSeconds, limit }: { thresholdSeconds: number; limit: number }): Promise<IngestTarget[]> {
  return tx<IngestTarget[]>`
    select id as "recordingId", organization_id as "orgId", call_id as "callId", provider_recording_sid as "recordingSid"
    from public.recordings
    where status = 'pending' and provider_recording_sid is not null
      and created_at < now() - make_interval(secs => ${thresholdSeconds})
    order by created_at
    limit ${limit}`;
}

/** Lock a recording row; its status, or null when it is gone. */
export async function lockRecording(tx: Tx, t: IngestTarget): Promise<RecordingStatus | null> {
  const [row] = await tx<{ status: RecordingStatus }[]>`
    select status from public.recordings
    where id = ${t.recordingId} and organization_id = ${t.orgId} and call_id = ${t.callId}
    for update`;
  return row?.status ?? null;
}

/** A pending recording the carrier no longer has: `absent`, with the carrier's reason. */
export async function markPendingAbsent(tx: Tx, t: IngestTarget, why: string): Promise<boolean> {
  const updated = await tx`
    update public.recordings set status = 'absent', error = ${why}
    where id = ${t.recordingId} and organization_id = ${t.orgId} and status = 'pending'
    returning id`;
  if (updated.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "recording.absent", {
    recordingId: t.recordingId,
    RecordingSid: t.recordingSid,
    Reason: why,
  }, { dedupeKey: `recording.absent:${t.recordingSid}` });
  return true;
}

/** Recording was on, but no recording arrived and the carrier lists none: one `missing` row per call. */
export async function recordMissingRecording(tx: Tx, call: Call): Promise<boolean> {
  const [missing] = await tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, error)
    values (${call.orgId}, ${call.id}, null, 'missing', 'Recording was on for this call, but the carrier has no recording of it.')
    on conflict do nothing
    returning id`;
  if (!missing) return false;
  await appendCallEvent(tx, call, "recording.missing", {
    recordingId: missing.id,
    Reason: "Recording was on for this call, but no recording arrived and the carrier lists none.",
  }, { dedupeKey: "recording.missing" });
  return true;
}

// ---- reads for the page and the API -----------------------------------------------------------

export interface RecordingRow {
  id: string;
  callId: string;
  status: RecordingStatus;
  durationSeconds: number | null;
  channels: number | null;
  bytes: string | null;
  sha256: string | null;
  error: string | null;
}

export function recordingSummary(row: RecordingRow): RecordingSummary {
  return {
    id: row.id,
    status: row.status,
    durationSeconds: row.durationSeconds,
    channels: row.channels,
    bytes: row.bytes === null ? null : Number(row.bytes),
    sha256: row.sha256,
    error: row.status === "stored" ? null : row.error,
  };
}

/**
 * The latest recording of the call `c`, as one JSON column `"latestRecording"` (a RecordingRow,
 * or null) in a query over `public.calls c`: the call list and a call's summary read their calls
 * and recordings in one statement. Only for callers whose view includes recordings.
 */
export function latestRecordingColumn(tx: Tx) {
  return tx`(
    select to_json(r) from (
      select id, call_id as "callId", status, duration_seconds as "durationSeconds", channels, bytes::text as bytes, sha256, error
      from public.recordings
      where organization_id = c.organization_id and call_id = c.id
      order by created_at desc limit 1) r
  ) as "latestRecording"`;
}

/** Every recording of one call, oldest first. */
export async function recordingsOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<RecordingRow[]> {
  return tx<RecordingRow[]>`
    select id, call_id as "callId", status, duration_seconds as "durationSeconds", channels, bytes::text as bytes, sha256, error
    from public.recordings where organization_id = ${orgId} and call_id = ${callId} order by created_at`;
}

export interface PreferredRecording {
  status: RecordingStatus;
  storagePath: string | null;
  sha256: string | null;
  bytes: string | null;
  mediaType: string | null;
}

/** The recording a player should get for a call: a stored one if any, else the newest. */
export async function preferredRecording(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<PreferredRecording | undefined> {
  const [row] = await tx<PreferredRecording[]>`
    select status, storage_path as "storagePath", sha256, bytes::text as bytes, media_type as "mediaType"
    from public.recordings
    where organization_id = ${orgId} and call_id = ${callId}
    order by (status = 'stored') desc, created_at desc limit 1`;
  return row;
}
