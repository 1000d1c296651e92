import { z } from "zod";
import { REQUEST_ID_PATTERN } from "@/lib/correlation";

/**
 * The background tasks and their payloads, one zod schema per task (types by `z.infer`).
 * Domain code enqueues with these types; the task list parses every payload with its schema
 * before the domain function sees it. No task implementations here, so route bundles that
 * only enqueue never load them (or graphile-worker).
 */
export const ingestRecordingPayloadSchema = z.object({
  recordingId: z.uuid(),
  orgId: z.uuid(),
  callId: z.uuid(),
  recordingSid: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "RecordingSid must be letters, digits and '-'"),
  /**
   * The provider's RecordingUrl without extension. Fetchable without credentials, so it is a
   * secret: it lives only in this payload (deleted with the job) and is never logged or stored
   * in a table.
   */
  recordingUrl: z.url({ protocol: /^https?$/ }),
  /** The callback's RecordingDuration, used when the WAV header cannot say. */
  durationSeconds: z.number().int().min(0).nullish(),
});
export type IngestRecordingPayload = z.infer<typeof ingestRecordingPayloadSchema>;

/** Every minute from the crontab (graphile-worker adds `_cron`), or on demand: both reconcilers. */
const reconcileCallsPayloadSchema = z.looseObject({
  /** Why an on-demand run was asked for; logged. */
  reason: z.string().max(200).optional(),
});
export type ReconcileCallsPayload = z.infer<typeof reconcileCallsPayloadSchema>;

/**
 * A transcription request, by our ids only: the submit job, the fetch after AssemblyAI's
 * webhook, and the copy of the redacted audio (whose URL the job asks the SDK for, so no bearer
 * URL from a webhook body is ever fetched or stored).
 */
const transcriptionPayloadSchema = z.object({
  orgId: z.uuid(),
  callId: z.uuid(),
  transcriptionId: z.uuid(),
});
export type TranscriptionPayload = z.infer<typeof transcriptionPayloadSchema>;

/** Seal a new manifest version of a call when its artifacts changed (enqueued by a trigger on call_events). */
const sealCallPayloadSchema = z.object({
  orgId: z.uuid(),
  callId: z.uuid(),
});
export type SealCallPayload = z.infer<typeof sealCallPayloadSchema>;

/** Build a bulk evidence export's archive (lib/evidence-sealing/bulk-export.ts). */
const bulkExportPayloadSchema = z.object({
  orgId: z.uuid(),
  exportId: z.uuid(),
});
export type BulkExportPayload = z.infer<typeof bulkExportPayloadSchema>;

/** From the crontab: delete export archives past their expiry. */
const expireEvidenceExportsPayloadSchema = z.looseObject({});

/** One campaign's runner step (lib/campaigns/runner.ts): one queued at a time per campaign (its job key). */
const campaignTickPayloadSchema = z.object({
  orgId: z.uuid(),
  campaignId: z.uuid(),
});
export type CampaignTickPayload = z.infer<typeof campaignTickPayloadSchema>;

/** A campaign's call reached a final status (enqueued by a trigger on public.calls): retry or done. */
const campaignCallEndedPayloadSchema = z.object({
  orgId: z.uuid(),
  callId: z.uuid(),
});
export type CampaignCallEndedPayload = z.infer<typeof campaignCallEndedPayloadSchema>;

/** One outbound webhook delivery's next attempt (lib/outbound/deliver.ts); a replay is one attempt, never retried. */
const deliverWebhookPayloadSchema = z.object({
  orgId: z.uuid(),
  deliveryId: z.uuid(),
  replay: z.boolean().optional(),
});
export type DeliverWebhookPayload = z.infer<typeof deliverWebhookPayloadSchema>;

/**
 * Delete a call's content past its retention policies, or all of it for an erasure request, and
 * seal the version that lists it as deleted (lib/retention/deletions.ts). Job key per call
 * (`retention:<call>`) or per request and call (`erasure:<request>:<call>`).
 */
const applyRetentionPayloadSchema = z.object({
  orgId: z.uuid(),
  callId: z.uuid(),
  erasureRequestId: z.uuid().optional(),
});
export type ApplyRetentionPayload = z.infer<typeof applyRetentionPayloadSchema>;

export const TASK_SCHEMAS = {
  ingest_recording: ingestRecordingPayloadSchema,
  reconcile_calls: reconcileCallsPayloadSchema,
  reconcile_transcriptions: reconcileCallsPayloadSchema,
  submit_transcription: transcriptionPayloadSchema,
  fetch_transcript: transcriptionPayloadSchema,
  store_redacted_audio: transcriptionPayloadSchema,
  seal_call: sealCallPayloadSchema,
  bulk_export: bulkExportPayloadSchema,
  expire_evidence_exports: expireEvidenceExportsPayloadSchema,
  campaign_tick: campaignTickPayloadSchema,
  campaign_call_ended: campaignCallEndedPayloadSchema,
  sweep_campaigns: expireEvidenceExportsPayloadSchema,
  deliver_webhook: deliverWebhookPayloadSchema,
  apply_retention: applyRetentionPayloadSchema,
  retention_sweep: expireEvidenceExportsPayloadSchema,
  seal_numbers: expireEvidenceExportsPayloadSchema,
  /** From the crontab: free the jobs of worker processes that died (lib/worker/liveness.ts). */
  release_dead_workers: expireEvidenceExportsPayloadSchema,
} as const;

export type TaskName = keyof typeof TASK_SCHEMAS;

/**
 * Beside any task's own fields: the request id the job continues (docs/adr/0043), stamped by
 * `enqueue` or, for a job about a call, by `private.enqueue_job` from the call. The task schemas
 * above leave it out, so a payload without it (an older job, a cron run) is as valid as before.
 */
export const jobCorrelationSchema = z.object({ requestId: z.string().regex(REQUEST_ID_PATTERN).optional().catch(undefined) });
export type TaskPayloads = { [T in TaskName]: z.input<(typeof TASK_SCHEMAS)[T]> };
