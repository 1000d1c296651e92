import "server-only";
import type { JobHelpers, Task, TaskList } from "graphile-worker";
import type { z } from "zod";
import { ingestRecording } from "@/lib/calls/recording-ingest";
import { reconcileCalls } from "@/lib/calls/reconcile";
import { reconcileTranscriptions } from "@/lib/intelligence/reconcile-transcriptions";
import { requestTranscription } from "@/lib/intelligence/transcriptions";
import { storeRedactedAudio } from "@/lib/intelligence/redacted-audio";
import { settleTranscription } from "@/lib/intelligence/settle-transcription";
import { submitTranscription } from "@/lib/intelligence/submit-transcription";
import { expireEvidenceExports, runBulkExport } from "@/lib/evidence-sealing/bulk-export";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { applyCampaignCallOutcome, runCampaignTick, sweepCampaigns } from "@/lib/campaigns/runner";
import { deliverWebhook } from "@/lib/outbound/deliver";
import { applyRetention, sweepRetention } from "@/lib/retention/deletions";
import type { JobContext } from "@/lib/jobs/context";
import { jobCorrelationSchema, TASK_SCHEMAS, type TaskName } from "@/lib/jobs/payloads";
import { withRequestId } from "@/lib/correlation";
import { logger } from "@/lib/logger";
import { sealStoredNumbers } from "@/lib/pii/reseal";
import { releaseDeadWorkers } from "@/lib/worker/liveness";

/**
 * A job as its task sees it: attempt, limit, abort signal and a logger naming the job and the
 * request it continues (the request that placed its call, say), so every line it logs carries it.
 */
function jobContext(helpers: JobHelpers, requestId: string | undefined): JobContext {
  const { job } = helpers;
  return {
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    abortSignal: helpers.abortSignal,
    log: logger().child({ task: job.task_identifier, jobId: job.id, attempt: job.attempts, ...(requestId ? { requestId } : {}) }),
  };
}

/** The request id a job's payload carries (docs/adr/0043), if any and well formed. */
export function requestIdOfJob(payload: unknown): string | undefined {
  const correlation = jobCorrelationSchema.safeParse(payload);
  return correlation.success ? correlation.data.requestId : undefined;
}

/**
 * The worker's task list: each task parses its payload with its schema and calls one domain
 * function (with, at most, the function of another domain it hands on to); nothing else. It
 * sits above every domain, which enqueues by task name (lib/jobs) and never imports it. A
 * payload that does not parse is logged (field names and messages, never values: an ingest
 * payload holds a bearer URL) and dropped, since retrying cannot fix it; the reconciler settles
 * whatever such a job left behind. A task that throws is retried by graphile-worker with
 * exponential backoff (run_at + e^min(attempts,10) seconds).
 */
function task<T extends TaskName>(name: T, run: (payload: z.infer<(typeof TASK_SCHEMAS)[T]>, job: JobContext) => Promise<unknown>): Task {
  return async (raw, helpers) => {
    const requestId = requestIdOfJob(raw);
    const job = jobContext(helpers, requestId);
    const parsed = TASK_SCHEMAS[name].safeParse(raw);
    if (!parsed.success) {
      job.log.error({ issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) }, `${name}: invalid payload, dropped`);
      return;
    }
    // The jobs this one enqueues, and its provider requests, carry the same id.
    await withRequestId(requestId, () => run(parsed.data as z.infer<(typeof TASK_SCHEMAS)[T]>, job));
  };
}

export const taskList: Record<TaskName, NonNullable<TaskList[string]>> = {
  // A stored recording asks for its transcription in the transaction that marks it stored.
  ingest_recording: task("ingest_recording", (payload, job) => ingestRecording(payload, job, { onStored: requestTranscription })),
  reconcile_calls: task("reconcile_calls", (_payload, job) => reconcileCalls({ log: job.log })),
  reconcile_transcriptions: task("reconcile_transcriptions", (_payload, job) => reconcileTranscriptions({ log: job.log })),
  submit_transcription: task("submit_transcription", (payload, job) => submitTranscription(payload, job)),
  fetch_transcript: task("fetch_transcript", (payload, job) => settleTranscription(payload, job)),
  store_redacted_audio: task("store_redacted_audio", (payload, job) => storeRedactedAudio(payload, job)),
  seal_call: task("seal_call", (payload, job) => sealCall(payload, job)),
  bulk_export: task("bulk_export", (payload, job) => runBulkExport(payload, job)),
  expire_evidence_exports: task("expire_evidence_exports", (_payload, job) => expireEvidenceExports({ log: job.log })),
  campaign_tick: task("campaign_tick", (payload, job) => runCampaignTick(payload, { log: job.log })),
  campaign_call_ended: task("campaign_call_ended", (payload, job) => applyCampaignCallOutcome(payload, { log: job.log })),
  sweep_campaigns: task("sweep_campaigns", (_payload, job) => sweepCampaigns({ log: job.log })),
  deliver_webhook: task("deliver_webhook", (payload, job) => deliverWebhook(payload, job)),
  apply_retention: task("apply_retention", (payload, job) => applyRetention(payload, job)),
  retention_sweep: task("retention_sweep", (_payload, job) => sweepRetention({ log: job.log })),
  release_dead_workers: task("release_dead_workers", (_payload, job) => releaseDeadWorkers({ log: job.log })),
  seal_numbers: task("seal_numbers", (_payload, job) => sealStoredNumbers({ log: job.log })),
};
