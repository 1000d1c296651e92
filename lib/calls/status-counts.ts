import "server-only";
import type { Sql } from "@/lib/db";

export interface StatusCount {
  status: string;
  flow: string;
  calls: number;
}

/**
 * Every organization's calls for the metrics scrape, read as the database owner: the open ones
 * (queued, initiated, ringing, in progress) by status and flow, from the partial index of open
 * calls, and those that ended in the last `windowSeconds`, from the index of endings
 * (supabase/migrations/20261207004000). Neither reads more than the calls it counts.
 */
export async function callStatusCounts(sql: Sql, { windowSeconds }: { windowSeconds: number }): Promise<{ open: StatusCount[]; ended: StatusCount[] }> {
  const [open, ended] = await Promise.all([
    sql<StatusCount[]>`
      select status::text as status, flow, count(*)::int as calls
      from public.calls
      where status in ('queued', 'initiated', 'ringing', 'in_progress')
      group by 1, 2`,
    sql<StatusCount[]>`
      select status::text as status, flow, count(*)::int as calls
      from public.calls
      where ended_at is not null and ended_at >= now() - make_interval(secs => ${windowSeconds})
      group by 1, 2`,
  ]);
  return { open, ended };
}
