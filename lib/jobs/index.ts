import "server-only";

/**
 * What the rest of the app needs from the job system: enqueue inside a transaction, and the
 * task names and payloads. The worker itself (graphile-worker, the task list, the crontab) is
 * in lib/worker/runner.ts, so route bundles that only enqueue never load it.
 */
export { enqueue, type EnqueueOptions } from "@/lib/jobs/enqueue";
export { type TaskName, type TaskPayloads, type IngestRecordingPayload, type ReconcileCallsPayload, type TranscriptionPayload } from "@/lib/jobs/payloads";
