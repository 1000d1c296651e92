import "server-only";
import type { Sql } from "@/lib/db";

export interface FailedJob {
  id: string;
  task: string;
  key: string | null;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** When it runs next; for a job that has used every attempt, when it would have. */
  runAt: string;
  createdAt: string;
  /** True when it has no attempts left and will not run again. */
  permanentlyFailed: boolean;
}

/**
 * Jobs that have failed at least once and are still in the queue: retrying ones and ones that
 * used every attempt. Read from graphile-worker's `graphile_worker.jobs` view (0.18 keeps the
 * tables private as `_private_jobs`). The payload is left out on purpose: an ingest payload
 * carries a bearer RecordingUrl. Needs the database owner's connection, not a request role.
 */
export async function listFailedJobs(sql: Sql, { limit = 100 }: { limit?: number } = {}): Promise<FailedJob[]> {
  return sql<FailedJob[]>`
    select id::text as id,
           task_identifier as task,
           key,
           attempts,
           max_attempts as "maxAttempts",
           last_error as "lastError",
           run_at::text as "runAt",
           created_at::text as "createdAt",
           attempts >= max_attempts as "permanentlyFailed"
    from graphile_worker.jobs
    where last_error is not null
    order by attempts >= max_attempts desc, run_at
    limit ${limit}`;
}
