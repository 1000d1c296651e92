import "server-only";
import { currentRequestId } from "@/lib/correlation";
import type { Tx } from "@/lib/db";
import type { TaskName, TaskPayloads } from "@/lib/jobs/payloads";

export interface EnqueueOptions {
  /**
   * Deduplicates pending work: while a job with this key is waiting, enqueueing again replaces
   * its payload instead of adding a second job (graphile-worker's `job_key`, mode
   * `preserve_run_at`). A job that is already running is not touched; the new one runs after.
   */
  jobKey?: string;
  runAt?: Date;
  /** Default 12 (in `private.enqueue_job`): retries spread over about 16 hours. */
  maxAttempts?: number;
}

/**
 * Enqueue a background job inside the caller's transaction, through `private.enqueue_job`
 * (supabase/migrations/*_create_jobs_enqueue.sql). The job becomes visible to workers only when
 * that transaction commits, so an event and its follow-up work are stored together or not at
 * all. The caller must be on the service path (`asService`); nobody else may execute it.
 *
 * The request (or job) at work lends the job its request id (`requestId` beside the payload's
 * own fields, which every task schema ignores; job keys are unchanged); a job about a call gets
 * the id of the request that placed the call instead, from `private.enqueue_job` (docs/adr/0043).
 */
export async function enqueue<T extends TaskName>(
  tx: Tx,
  task: T,
  payload: TaskPayloads[T],
  options: EnqueueOptions = {},
): Promise<void> {
  if (options.maxAttempts !== undefined && (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)) {
    throw new RangeError(`maxAttempts must be a positive integer, not ${options.maxAttempts}`);
  }
  const requestId = currentRequestId();
  const body = requestId && !("requestId" in payload) ? { ...payload, requestId } : payload;
  await tx`
    select private.enqueue_job(
      p_task => ${task}::text,
      p_payload => ${tx.json(body as never)}::jsonb,
      p_job_key => ${options.jobKey ?? null}::text,
      p_run_at => ${options.runAt ?? null}::timestamptz,
      p_max_attempts => ${options.maxAttempts ?? 12}::integer
    )`;
}
