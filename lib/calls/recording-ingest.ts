import "server-only";
import { asService, type Sql, type Tx } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { isLastAttempt, type JobContext } from "@/lib/jobs/context";
import type { IngestRecordingPayload } from "@/lib/jobs/payloads";
import { markRecordingFailed, markRecordingStored, recordingForIngest, type IngestRow } from "@/lib/calls/recordings";
import { storage as configuredStorage, type BlobStorage } from "@/lib/storage";
import { assertStoragePath } from "@/lib/storage/paths";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { fetchRecordingAudio, RefusedSourceError, type FetchedAudio } from "@/lib/telephony/recording-source";

/**
 * Recording ingest (the `ingest_recording` job): copy a provider recording into our storage, hashing it on the way, and
 * mark its row `stored` — in the same transaction running `onStored` (the worker passes the
 * transcription request, lib/intelligence/transcriptions.ts, which asks for one when the call's
 * snapshot does). Idempotent: a stored row is left alone, the object path is fixed by the
 * recording sid, and the row update and its `recording.stored` event commit together (the event
 * is deduplicated on the sid). Concurrent runs for one recording are serialized by an advisory
 * lock; the loser leaves the work to the holder.
 *
 * Failures throw, so graphile-worker retries with exponential backoff. A 404 from the provider
 * is permanent and marks the row `failed` at once; so does any failure on the last attempt,
 * after which the job completes rather than lingering as a failed job, because its payload
 * holds the RecordingUrl: a bearer URL that must not outlive the work (and never reaches a
 * table or a log line; error messages are scrubbed of it).
 */

export type IngestOutcome = "stored" | "already_stored" | "busy" | "skipped" | "failed";

export interface IngestOptions {
  storage?: BlobStorage;
  db?: Sql;
  /** Time allowed for the provider to start answering (default 30 s). */
  headerTimeoutMs?: number;
  /** Time allowed for the whole download (default 15 min). */
  downloadTimeoutMs?: number;
  /** Run in the transaction that marks the recording stored, only when this run stored it. */
  onStored?: (tx: Tx, stored: { orgId: string; callId: string; recordingId: string }) => Promise<unknown>;
}

/** How much of the start of the file is kept to read the WAV header. */
const HEADER_BYTES = 64 * 1024;
const MEDIA_TYPE = "audio/wav";

/** A failure that retrying cannot fix. */
class PermanentIngestError extends Error {
  override name = "PermanentIngestError";
}

export async function ingestRecording(payload: IngestRecordingPayload, job: JobContext, options: IngestOptions = {}): Promise<IngestOutcome> {
  const db = options.db ?? sharedSql();
  const log = job.log.child({ orgId: payload.orgId, callId: payload.callId, recordingId: payload.recordingId, recordingSid: payload.recordingSid });

  const row = await loadRecording(db, payload);
  if (!row) {
    log.warn("ingest_recording: no such recording row for this organization and call; nothing to do");
    return "skipped";
  }
  if (row.status === "stored") return "already_stored";
  if (row.status === "absent" || row.status === "missing") {
    log.warn({ status: row.status }, "ingest_recording: the recording is not expected to have audio; nothing to do");
    return "skipped";
  }

  const lock = await db.reserve();
  try {
    const [got] = await lock<{ locked: boolean }[]>`
      select pg_try_advisory_lock(hashtextextended(${`verbatim:ingest:${payload.recordingSid}`}, 0)) as locked`;
    if (!got?.locked) {
      log.info("ingest_recording: another worker is ingesting this recording");
      return "busy";
    }
    try {
      // Re-read under the lock: the holder we waited for may have finished it.
      const current = await loadRecording(db, payload);
      if (!current || current.status === "stored") return "already_stored";

      const stored = await download(payload, options);
      const durationSeconds = stored.durationSeconds ?? payload.durationSeconds ?? current.durationSeconds;
      const channels = stored.channels ?? current.channels;
      // Stored, and what follows a stored recording (its transcription request), together.
      const marked = await asService(async (tx) => {
        const done = await markRecordingStored(tx, payload, {
          path: stored.path, sha256: stored.sha256, bytes: stored.bytes, durationSeconds, channels, mediaType: MEDIA_TYPE,
        });
        if (done) await options.onStored?.(tx, { orgId: payload.orgId, callId: payload.callId, recordingId: payload.recordingId });
        return done;
      }, db);
      if (!marked) return "already_stored";
      log.info({ bytes: stored.bytes, sha256: stored.sha256, durationSeconds, channels }, "recording stored");
      return "stored";
    } finally {
      await lock`select pg_advisory_unlock(hashtextextended(${`verbatim:ingest:${payload.recordingSid}`}, 0))`.catch(() => {});
    }
  } catch (err) {
    const message = scrub(err instanceof Error ? err.message : String(err), payload.recordingUrl);
    if (err instanceof PermanentIngestError || isLastAttempt(job)) {
      await markFailed(db, payload, message, job.attempts);
      log.error({ err: message, maxAttempts: job.maxAttempts, permanent: err instanceof PermanentIngestError }, "recording ingest failed for good");
      return "failed";
    }
    // A fresh error: the original's message, stack or cause may carry the URL.
    throw new Error(message);
  } finally {
    lock.release();
  }
}

function loadRecording(db: Sql, payload: IngestRecordingPayload): Promise<IngestRow | undefined> {
  return asService((tx) => recordingForIngest(tx, payload), db);
}

async function markFailed(db: Sql, payload: IngestRecordingPayload, message: string, attempts: number): Promise<void> {
  await asService((tx) => markRecordingFailed(tx, payload, message, attempts), db);
}

interface Downloaded {
  path: string;
  bytes: number;
  sha256: string;
  channels: number | null;
  durationSeconds: number | null;
}

async function download(payload: IngestRecordingPayload, options: IngestOptions): Promise<Downloaded> {
  const headerTimeoutMs = options.headerTimeoutMs ?? 30_000;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? 15 * 60_000;
  const path = `${payload.orgId}/${payload.callId}/${payload.recordingSid}.wav`;
  assertStoragePath(path);

  const headers = new AbortController();
  const headerTimer = setTimeout(() => headers.abort(new Error(`no answer from the provider within ${headerTimeoutMs} ms`)), headerTimeoutMs);
  const signal = AbortSignal.any([headers.signal, AbortSignal.timeout(downloadTimeoutMs)]);
  let res: FetchedAudio;
  try {
    // Only from the carrier's host, its addresses checked as the connection resolves them.
    res = await fetchRecordingAudio(`${payload.recordingUrl}.wav`, { signal, accept: "audio/wav, audio/*" });
  } catch (err) {
    if (err instanceof RefusedSourceError) throw new PermanentIngestError(err.message);
    throw new Error(`Could not download the recording: ${describeFetchError(err, signal)}`);
  } finally {
    clearTimeout(headerTimer);
  }

  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    throw new PermanentIngestError("The provider has no audio for this recording (HTTP 404).");
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`The provider answered HTTP ${res.status} for the recording audio.`);
  }
  const contentType = (res.headers.get("content-type") ?? "").toLowerCase();
  if (!contentType.startsWith("audio/")) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`The provider answered with ${contentType || "no content type"}, not audio.`);
  }
  if (!res.body) throw new Error("The provider answered without a body.");

  // Keep the first bytes for the WAV header while the body streams into storage.
  const head: Uint8Array[] = [];
  let headLength = 0;
  const capture = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (headLength < HEADER_BYTES) {
        const slice = chunk.subarray(0, HEADER_BYTES - headLength);
        head.push(slice.slice());
        headLength += slice.length;
      }
      controller.enqueue(chunk);
    },
  });
  let written: { bytes: number; sha256: string };
  try {
    written = await (options.storage ?? configuredStorage()).put(path, res.body.pipeThrough(capture), { contentType: MEDIA_TYPE });
  } catch (err) {
    throw new Error(`Could not copy the recording into storage: ${describeFetchError(err, signal)}`);
  }

  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && !res.headers.get("content-encoding") && declared !== written.bytes) {
    throw new Error(`The download was cut short: ${written.bytes} of ${declared} bytes.`);
  }

  const info = parseWavHeader(Buffer.concat(head));
  const seconds = info ? wavDurationSeconds(info, written.bytes) : null;
  return {
    path,
    ...written,
    channels: info && info.channels >= 1 && info.channels <= 2 ? info.channels : null,
    durationSeconds: seconds === null ? null : Math.round(seconds),
  };
}

function describeFetchError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as unknown;
    if (reason instanceof Error && reason.name === "TimeoutError") return "the download timed out";
    return reason instanceof Error ? reason.message : "the download was aborted";
  }
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** Remove the RecordingUrl (and its path, which names the account and recording) from a message. */
export function scrub(message: string, recordingUrl: string): string {
  let out = message.split(recordingUrl).join("[recording url]");
  try {
    const { pathname } = new URL(recordingUrl);
    if (pathname.length > 1) out = out.split(pathname).join("[recording path]");
  } catch {
    // not a URL: nothing more to remove
  }
  return out.slice(0, 500);
}
