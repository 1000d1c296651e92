import "server-only";
import type { Task, TaskList } from "graphile-worker";
import type { z } from "zod";
import { ingestRecording } from "@/lib/calls/recording-ingest";
import { reconcileCalls } from "@/lib/calls/reconcile";
import { storeRedactedAudio } from "@/lib/intelligence/redacted-audio";
import { settleTranscription } from "@/lib/intelligence/settle-transcription";
import { submitTranscription } from "@/lib/intelligence/submit-transcription";
import { expireEvidenceExports, runBulkExport } from "@/lib/evidence-sealing/bulk-export";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { jobContext, type JobContext } from "@/lib/jobs/context";
import { TASK_SCHEMAS, type TaskName } from "@/lib/jobs/payloads";

/**
 * The worker's task list: each task parses its payload with its schema and calls one domain
 * function; nothing else. A payload that does not parse is logged (field names and messages,
 * never values: an ingest payload holds a bearer URL) and dropped, since retrying cannot fix it;
 * the reconciler settles whatever such a job left behind. A task that throws is retried by
 * graphile-worker with exponential backoff (run_at + e^min(attempts,10) seconds).
 */
function task<T extends TaskName>(name: T, run: (payload: z.infer<(typeof TASK_SCHEMAS)[T]>, job: JobContext) => Promise<unknown>): Task {
  return async (raw, helpers) => {
    const job = jobContext(helpers);
    const parsed = TASK_SCHEMAS[name].safeParse(raw);
    if (!parsed.success) {
      job.log.error({ issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) }, `${name}: invalid payload, dropped`);
      return;
    }
    await run(parsed.data as z.infer<(typeof TASK_SCHEMAS)[T]>, job);
  };
}

export const taskList: Record<TaskName, NonNullable<TaskList[string]>> = {
  ingest_recording: task("ingest_recording", (payload, job) => ingestRecording(payload, job)),
  reconcile_calls: task("reconcile_calls", (_payload, job) => reconcileCalls({ log: job.log })),
  submit_transcription: task("submit_transcription", (payload, job) => submitTranscription(payload, job)),
  fetch_transcript: task("fetch_transcript", (payload, job) => settleTranscription(payload, job)),
  store_redacted_audio: task("store_redacted_audio", (payload, job) => storeRedactedAudio(payload, job)),
  seal_call: task("seal_call", (payload, job) => sealCall(payload, job)),
  bulk_export: task("bulk_export", (payload, job) => runBulkExport(payload, job)),
  expire_evidence_exports: task("expire_evidence_exports", (_payload, job) => expireEvidenceExports({ log: job.log })),
};
