import "server-only";
import { config } from "@/lib/config";
import { asService, type Sql } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { settleTranscription } from "@/lib/intelligence/settle-transcription";
import {
  enqueueRedactedAudio,
  enqueueSubmit,
  openTranscriptionsOlderThan,
  recordingsNeverTranscribed,
  redactedAudioMissing,
  requestTranscription,
} from "@/lib/intelligence/transcriptions";
import { logger, type Logger } from "@/lib/logger";
import { countReconcilerActions } from "@/lib/metrics";

/**
 * The `reconcile_transcriptions` task, beside `reconcile_calls` (lib/calls/reconcile.ts) in the
 * worker's crontab: AssemblyAI's webhooks are advisory too. Past the threshold (the same
 * `RECONCILE_AFTER_SECONDS`):
 *  1. a stored recording whose call asked for transcription and that has no request at all
 *     (ingest stored it, but the request was lost) gets one, and its submit job;
 *  2. a request still `pending` with no submit job in the queue is queued again (it is submitted);
 *  3. a request `submitted` whose webhook never came is fetched with `transcripts.get` now,
 *     which completes or fails it (still processing: the next run looks again);
 *  4. a completed redacting request without its redacted audio (within AssemblyAI's 24 hours)
 *     gets its copy queued again.
 * Each item in its own transaction; the domain functions re-check under lock, so runs and
 * webhooks may race and a second run changes nothing.
 */

export interface TranscriptionReconcileOptions {
  db?: Sql;
  thresholdSeconds?: number;
  /** How far back the check for recordings never transcribed looks (default RECONCILE_LOOKBACK_DAYS). */
  lookbackSeconds?: number;
  batchSize?: number;
  log?: Logger;
  /** Whether a transcriber is configured (default: from the environment); without one the run does nothing. */
  transcriber?: boolean;
}

export interface TranscriptionReconcileReport {
  transcriptionsRequested: number;
  transcriptionsRequeued: number;
  transcriptionsChecked: number;
  transcriptionsSettled: number;
  redactedAudioRequeued: number;
  errors: number;
}

export function emptyTranscriptionReport(): TranscriptionReconcileReport {
  return { transcriptionsRequested: 0, transcriptionsRequeued: 0, transcriptionsChecked: 0, transcriptionsSettled: 0, redactedAudioRequeued: 0, errors: 0 };
}

async function queuedKeys(db: Sql, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db<{ key: string }[]>`select key from graphile_worker.jobs where key in ${db(keys)}`;
  return new Set(rows.map((r) => r.key));
}

/** Items looked at per step in one run; the next run takes the rest. */
const BATCH_SIZE = 100;

export async function reconcileTranscriptions(options: TranscriptionReconcileOptions = {}): Promise<TranscriptionReconcileReport> {
  const log = options.log ?? logger().child({ task: "reconcile_transcriptions" });
  const db = options.db ?? sharedSql();
  const threshold = options.thresholdSeconds ?? config().reconcileAfterSeconds;
  const lookback = options.lookbackSeconds ?? config().reconcileLookbackSeconds;
  const limit = options.batchSize ?? BATCH_SIZE;
  const report = emptyTranscriptionReport();
  const onError = (callId: string, what: string, err: unknown) => {
    report.errors += 1;
    log.error({ callId, err: err instanceof Error ? err.message : String(err) }, `reconcile_transcriptions: ${what} failed for one call`);
  };
  if (!(options.transcriber ?? Boolean(config().transcriber))) {
    log.debug("reconcile_transcriptions: transcription is not configured; nothing to reconcile");
    return report;
  }
  const each = async <T extends { callId: string }>(items: T[], what: string, fn: (item: T) => Promise<void>) => {
    for (const item of items) {
      try {
        await fn(item);
      } catch (err) {
        onError(item.callId, what, err);
      }
    }
  };

  const never = await asService((tx) => recordingsNeverTranscribed(tx, { thresholdSeconds: threshold, lookbackSeconds: lookback, limit }), db);
  await each(never, "transcription request", async (r) => {
    if (await asService((tx) => requestTranscription(tx, r), db)) report.transcriptionsRequested += 1;
  });

  const open = await asService((tx) => openTranscriptionsOlderThan(tx, { thresholdSeconds: threshold, limit }), db);
  const pending = open.filter((t) => t.status === "pending" && !t.providerTranscriptId);
  const queued = await queuedKeys(db, pending.map((t) => `transcribe:${t.transcriptionId}`));
  await each(pending.filter((t) => !queued.has(`transcribe:${t.transcriptionId}`)), "transcription submit", async (t) => {
    await asService((tx) => enqueueSubmit(tx, t), db);
    report.transcriptionsRequeued += 1;
  });

  await each(open.filter((t) => t.providerTranscriptId), "transcript fetch", async (t) => {
    report.transcriptionsChecked += 1;
    const target = { orgId: t.orgId, callId: t.callId, transcriptionId: t.transcriptionId };
    const outcome = await settleTranscription(target, { attempts: 1, maxAttempts: 1, log }, { db });
    if (outcome === "completed" || outcome === "failed") report.transcriptionsSettled += 1;
  });

  const noAudio = await asService((tx) => redactedAudioMissing(tx, { thresholdSeconds: threshold, limit }), db);
  const audioQueued = await queuedKeys(db, noAudio.map((t) => `redacted-audio:${t.transcriptionId}`));
  await each(noAudio.filter((t) => !audioQueued.has(`redacted-audio:${t.transcriptionId}`)), "redacted audio", async (t) => {
    await asService((tx) => enqueueRedactedAudio(tx, t), db);
    report.redactedAudioRequeued += 1;
  });
  const changed = report.transcriptionsRequested + report.transcriptionsRequeued + report.transcriptionsSettled + report.redactedAudioRequeued;
  log[changed > 0 || report.errors > 0 ? "info" : "debug"]({ ...report }, "reconcile_transcriptions finished");
  countReconcilerActions("transcriptions", report);
  return report;
}
