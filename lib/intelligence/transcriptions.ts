import "server-only";
import { appendCallEvent } from "@/lib/calls/timeline";
import { modulationSnapshotSchema } from "@/lib/calls/snapshot";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import type { Db, Tx } from "@/lib/db";
import { enqueue } from "@/lib/jobs/enqueue";
import { metrics } from "@/lib/metrics";

/**
 * Transcription requests (`public.transcriptions`): the one module that reads and writes them.
 * A request is made when a recording is stored and the call's snapshot asks for transcription
 * (or by the reconciler, or by an admin's retry after a failure), with what the snapshot asked
 * for fixed on the row (redaction, target languages). The submit job arms it with a fresh
 * webhook secret (its SHA-256 only) and marks it `submitted` with AssemblyAI's transcript id;
 * the fetch job settles it as `completed` or `error`. Settled rows never change (trigger).
 * Every change a person would want to see goes on the call's timeline in the same transaction.
 */

export type TranscriptionStatus = "pending" | "submitted" | "completed" | "error";

export interface TranscriptionTarget {
  orgId: string;
  callId: string;
  transcriptionId: string;
}

const SUBMIT_MAX_ATTEMPTS = 6;

/**
 * Ask for a transcription of a stored recording when the call's snapshot wants one: a pending
 * row and its submit job. At most one live (not failed) request per recording: a repeat returns
 * null. `retryOf`/`requestedBy` for an admin's retry of a failed request.
 */
export async function requestTranscription(
  tx: Tx,
  r: { orgId: string; callId: string; recordingId: string; retryOf?: string | null; requestedBy?: string | null },
): Promise<string | null> {
  const [call] = await tx<{ modulations: unknown }[]>`
    select modulations from public.calls where organization_id = ${r.orgId} and id = ${r.callId}`;
  const snapshot = modulationSnapshotSchema.safeParse(await openSnapshotNumbers(tx, r.orgId, "calls.modulations", call?.modulations)).data;
  if (!snapshot?.transcribe) return null;
  const [row] = await tx<{ id: string }[]>`
    insert into public.transcriptions (organization_id, call_id, recording_id, retry_of, requested_by, redact, target_languages)
    select ${r.orgId}, ${r.callId}, rec.id, ${r.retryOf ?? null}, ${r.requestedBy ?? null}, ${snapshot.redact ?? false},
           ${snapshot.translate?.languages ?? []}::text[]
    from public.recordings rec
    where rec.id = ${r.recordingId} and rec.organization_id = ${r.orgId} and rec.call_id = ${r.callId} and rec.status = 'stored'
    on conflict (recording_id) where status <> 'error' do nothing
    returning id`;
  if (!row) return null;
  await enqueueSubmit(tx, { orgId: r.orgId, callId: r.callId, transcriptionId: row.id });
  return row.id;
}

export async function enqueueSubmit(tx: Tx, t: TranscriptionTarget): Promise<void> {
  await enqueue(tx, "submit_transcription", t, { jobKey: `transcribe:${t.transcriptionId}`, maxAttempts: SUBMIT_MAX_ATTEMPTS });
}

export async function enqueueFetch(tx: Tx, t: TranscriptionTarget): Promise<void> {
  await enqueue(tx, "fetch_transcript", t, { jobKey: `fetch-transcript:${t.transcriptionId}` });
}

export async function enqueueRedactedAudio(tx: Tx, t: TranscriptionTarget): Promise<void> {
  await enqueue(tx, "store_redacted_audio", t, { jobKey: `redacted-audio:${t.transcriptionId}` });
}

export interface TranscriptionRow {
  id: string;
  orgId: string;
  callId: string;
  recordingId: string;
  status: TranscriptionStatus;
  redact: boolean;
  targetLanguages: string[];
  providerTranscriptId: string | null;
  providerStatus: string | null;
  webhookSecretSha256: string | null;
  submitAttempts: number;
  requestParameters: Record<string, unknown> | null;
  error: string | null;
  /** Attempt number among the call's requests for this recording (1, then 2 after a retry, …). */
  attempt: number;
  recordingPath: string | null;
  recordingSha256: string | null;
  recordingChannels: number | null;
}

const ROW = (tx: Db) => tx`
  t.id, t.organization_id as "orgId", t.call_id as "callId", t.recording_id as "recordingId", t.status, t.redact,
  t.target_languages as "targetLanguages", t.provider_transcript_id as "providerTranscriptId", t.provider_status as "providerStatus",
  t.webhook_secret_sha256 as "webhookSecretSha256", t.submit_attempts as "submitAttempts", t.request_parameters as "requestParameters",
  t.error,
  (select count(*)::int from public.transcriptions p where p.recording_id = t.recording_id and p.created_at <= t.created_at) as attempt,
  r.storage_path as "recordingPath", r.sha256 as "recordingSha256", r.channels as "recordingChannels"`;

/** One request of a call (service path); `lock` takes the row lock. */
export async function transcriptionFor(tx: Db, t: TranscriptionTarget, { lock = false } = {}): Promise<TranscriptionRow | undefined> {
  const [row] = await tx<TranscriptionRow[]>`
    select ${ROW(tx)}
    from public.transcriptions t join public.recordings r on r.id = t.recording_id
    where t.id = ${t.transcriptionId} and t.organization_id = ${t.orgId} and t.call_id = ${t.callId}
    ${lock ? tx`for update of t` : tx``}`;
  return row;
}

/** A webhook's request, named by the ids in its URL: what the verifier compares against. */
export async function transcriptionForWebhook(db: Db, { transcriptionId, callId }: { transcriptionId: string; callId: string }): Promise<{ orgId: string; secretSha256: string | null } | undefined> {
  const [row] = await db<{ orgId: string; secretSha256: string | null }[]>`
    select organization_id as "orgId", webhook_secret_sha256 as "secretSha256"
    from public.transcriptions where id = ${transcriptionId} and call_id = ${callId}`;
  return row;
}

/** Before submitting: a fresh secret's hash replaces any earlier one (an earlier submission's webhooks stop verifying). */
export async function armSubmission(tx: Tx, t: TranscriptionTarget, secretSha256: string): Promise<boolean> {
  const rows = await tx`
    update public.transcriptions set webhook_secret_sha256 = ${secretSha256}, submit_attempts = submit_attempts + 1, updated_at = now()
    where id = ${t.transcriptionId} and organization_id = ${t.orgId} and status = 'pending'
    returning id`;
  return rows.length > 0;
}

/** AssemblyAI accepted the request: `submitted`, with its transcript id; on the timeline. */
export async function markSubmitted(tx: Tx, t: TranscriptionTarget, s: { transcriptId: string; parameters: Record<string, unknown>; attempt: number }): Promise<boolean> {
  const rows = await tx`
    update public.transcriptions set status = 'submitted', provider_transcript_id = coalesce(provider_transcript_id, ${s.transcriptId}),
           request_parameters = ${tx.json(s.parameters as never)}, submitted_at = now(), updated_at = now()
    where id = ${t.transcriptionId} and organization_id = ${t.orgId} and status = 'pending'
    returning id`;
  if (rows.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "transcription.submitted", {
    transcriptionId: t.transcriptionId,
    transcriptId: s.transcriptId,
    attempt: s.attempt,
  }, { dedupeKey: `transcription.submitted:${t.transcriptionId}` });
  return true;
}

/**
 * AssemblyAI's webhook for this request (verified): remember what it said and, the first time,
 * queue the fetch. A repeat, or a report about a settled request, changes nothing.
 */
export async function recordProviderStatus(
  tx: Tx,
  t: TranscriptionTarget,
  report: { transcriptId: string; status: "completed" | "error" },
): Promise<"queued" | "repeat" | "settled" | "other_transcript"> {
  const row = await transcriptionFor(tx, t, { lock: true });
  if (!row) return "settled";
  if (row.status === "completed" || row.status === "error") return "settled";
  if (row.providerTranscriptId && row.providerTranscriptId !== report.transcriptId) return "other_transcript";
  if (row.providerStatus === report.status && row.providerTranscriptId === report.transcriptId) return "repeat";
  // The webhook can overtake the submit job's own bookkeeping: the transcript id comes from
  // AssemblyAI either way, and this request's secret vouches for it.
  await tx`
    update public.transcriptions set provider_status = ${report.status},
           provider_transcript_id = coalesce(provider_transcript_id, ${report.transcriptId}), updated_at = now()
    where id = ${t.transcriptionId} and organization_id = ${t.orgId}`;
  await enqueueFetch(tx, t);
  return "queued";
}

/** Settled as failed, with AssemblyAI's (or our) reason, on the timeline. */
export async function markTranscriptionFailed(tx: Tx, t: TranscriptionTarget, reason: string): Promise<boolean> {
  const why = reason.slice(0, 1000) || "Transcription failed without a reason.";
  const rows = await tx<{ providerTranscriptId: string | null }[]>`
    update public.transcriptions set status = 'error', error = ${why}, settled_at = now(), updated_at = now()
    where id = ${t.transcriptionId} and organization_id = ${t.orgId} and status in ('pending', 'submitted')
    returning provider_transcript_id as "providerTranscriptId"`;
  if (rows.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "transcription.failed", {
    transcriptionId: t.transcriptionId,
    transcriptId: rows[0]!.providerTranscriptId,
    Reason: why,
  }, { dedupeKey: `transcription.failed:${t.transcriptionId}` });
  return true;
}

/** Settled as completed (its artifacts were stored in the same transaction). */
export async function markTranscriptionCompleted(
  tx: Tx,
  t: TranscriptionTarget,
  done: { transcriptId: string; artifactId: string; sha256: string; language: string | null; words: number },
): Promise<boolean> {
  const rows = await tx`
    update public.transcriptions set status = 'completed', provider_transcript_id = coalesce(provider_transcript_id, ${done.transcriptId}),
           settled_at = now(), updated_at = now()
    where id = ${t.transcriptionId} and organization_id = ${t.orgId} and status in ('pending', 'submitted')
    returning id`;
  if (rows.length === 0) return false;
  await appendCallEvent(tx, { id: t.callId, orgId: t.orgId }, "transcription.completed", {
    transcriptionId: t.transcriptionId,
    ...done,
  }, { dedupeKey: `transcription.completed:${t.transcriptionId}` });
  return true;
}

// ---- retry --------------------------------------------------------------------------------------

/** The call's latest request (for the retry and the page). */
export async function latestTranscription(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<TranscriptionRow | undefined> {
  const [row] = await tx<TranscriptionRow[]>`
    select ${ROW(tx)}
    from public.transcriptions t join public.recordings r on r.id = t.recording_id
    where t.organization_id = ${orgId} and t.call_id = ${callId}
    order by t.created_at desc, t.id desc limit 1`;
  return row;
}

// ---- the reconciler's view ---------------------------------------------------------------------

/** Requests still open past the threshold: pending ones whose submit job may be gone, submitted ones with no webhook. */
export async function openTranscriptionsOlderThan(tx: Tx, { thresholdSeconds, limit }: { thresholdSeconds: number; limit: number }): Promise<Array<TranscriptionTarget & { status: TranscriptionStatus; providerTranscriptId: string | null }>> {
  return tx`
    select id as "transcriptionId", organization_id as "orgId", call_id as "callId", status, provider_transcript_id as "providerTranscriptId"
    from public.transcriptions
    where status in ('pending', 'submitted') and updated_at < now() - make_interval(secs => ${thresholdSeconds})
    order by updated_at limit ${limit}`;
}

/**
 * Stored recordings whose call asked for transcription and that have no request at all, stored
 * within the look-back (recordings_stored_idx, a range: the cost follows the last days, not the
 * history). The request's probe names the call, so transcriptions_call_idx serves it.
 */
export async function recordingsNeverTranscribed(
  tx: Tx,
  { thresholdSeconds, lookbackSeconds, limit }: { thresholdSeconds: number; lookbackSeconds: number; limit: number },
): Promise<Array<{ orgId: string; callId: string; recordingId: string }>> {
  return tx`
    select r.organization_id as "orgId", r.call_id as "callId", r.id as "recordingId"
    from public.recordings r join public.calls c on c.organization_id = r.organization_id and c.id = r.call_id
    where r.status = 'stored' and r.stored_at < now() - make_interval(secs => ${thresholdSeconds})
      and r.stored_at >= now() - make_interval(secs => ${lookbackSeconds})
      and (c.modulations ->> 'transcribe') = 'true'
      and not exists (select 1 from public.transcriptions t
                      where t.organization_id = r.organization_id and t.call_id = r.call_id and t.recording_id = r.id)
    order by r.stored_at limit ${limit}`;
}

/** Completed redacting requests whose redacted audio never arrived. */
export async function redactedAudioMissing(tx: Tx, { thresholdSeconds, limit }: { thresholdSeconds: number; limit: number }): Promise<TranscriptionTarget[]> {
  return tx`
    select t.id as "transcriptionId", t.organization_id as "orgId", t.call_id as "callId"
    from public.transcriptions t
    where t.status = 'completed' and t.redact and t.settled_at < now() - make_interval(secs => ${thresholdSeconds})
      -- AssemblyAI keeps redacted audio for 24 hours; after that there is nothing left to fetch.
      and t.settled_at > now() - interval '24 hours'
      and not exists (select 1 from public.call_artifacts a where a.transcription_id = t.id and a.kind = 'redacted_audio')
    order by t.settled_at limit ${limit}`;
}

/** Count a transcription that reached its final state, once its transaction committed (`changed`: it was this call that settled it). */
export function countSettled(outcome: "completed" | "error", changed: boolean): void {
  if (changed) metrics().transcriptionsSettled.inc({ outcome });
}
