/**
 * The background tasks and their payloads. Pure types and names, so route handlers and domain
 * code can enqueue without importing the task implementations (and graphile-worker with them).
 */
export interface IngestRecordingPayload {
  recordingId: string;
  orgId: string;
  callId: string;
  recordingSid: string;
  /**
   * The provider's RecordingUrl without extension. Fetchable without credentials, so it is a
   * secret: it lives only in this payload (deleted with the job) and is never logged or stored
   * in a table.
   */
  recordingUrl: string;
  /** The callback's RecordingDuration, used when the WAV header cannot say. */
  durationSeconds?: number | null;
}

/** Every minute from the crontab (graphile-worker adds `_cron`), or on demand. */
export interface ReconcileCallsPayload {
  /** Why an on-demand run was asked for; logged. */
  reason?: string;
}

export interface TaskPayloads {
  ingest_recording: IngestRecordingPayload;
  reconcile_calls: ReconcileCallsPayload;
}

export type TaskName = keyof TaskPayloads;

export const TASK_NAMES = ["ingest_recording", "reconcile_calls"] as const satisfies readonly TaskName[];
