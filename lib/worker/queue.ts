import "server-only";
import type { Sql } from "@/lib/db";

export interface QueueDepth {
  task: string;
  /** Jobs due now that no worker has taken (counted up to QUEUE_COUNT_CAP in all). */
  depth: number;
  /** Seconds the longest-waiting of them has waited past its run_at. */
  oldestAgeSeconds: number;
}

/** The most due jobs one scrape counts: past this the queue is "at least this deep". */
export const QUEUE_COUNT_CAP = 100_000;

/**
 * The queue as a scrape sees it: due jobs not taken (available, run_at passed), by task. Read
 * from graphile-worker 0.18's private tables through its partial index of available jobs
 * (`jobs_main_index`), so it reads the waiting jobs only, at most QUEUE_COUNT_CAP of them; the
 * public `graphile_worker.jobs` view cannot use that index. Needs the database owner's connection.
 */
export async function queueDepths(sql: Sql): Promise<QueueDepth[]> {
  return sql<QueueDepth[]>`
    select t.identifier as task, count(*)::int as depth,
           greatest(0, extract(epoch from now() - min(j.run_at)))::float8 as "oldestAgeSeconds"
    from (
      select task_id, run_at from graphile_worker._private_jobs
      where is_available and run_at <= now()
      limit ${QUEUE_COUNT_CAP}
    ) j
    join graphile_worker._private_tasks t on t.id = j.task_id
    group by t.identifier`;
}
