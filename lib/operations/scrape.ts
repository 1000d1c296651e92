import "server-only";
import { callStatusCounts } from "@/lib/calls/status-counts";
import { sql } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { CALL_FLOWS, CALL_STATUSES, DATABASE_METRICS, metrics, metricsRegistry, OPEN_CALL_STATUSES } from "@/lib/metrics";
import { queueDepths } from "@/lib/worker/queue";
import { liveWorkerProcesses } from "@/lib/worker/liveness";
import { taskList } from "@/lib/worker/task-list";

/**
 * The metrics scrape of an app process (docs/adr/0042): this process's instruments, plus the
 * gauges only the database knows — calls by status and flow, the job queue, live workers —
 * read at most once per `DATABASE_READ_MS` per process, whoever scrapes and however often.
 * Every app process serves the same database values; dashboards and alerts take `max` over
 * instances for them. A failed read keeps the last values and counts the failure.
 */
export const DATABASE_READ_MS = 15_000;
/** The window of `verbatim_calls_ended_recent`: what the call failure rate alert reads. */
export const ENDED_WINDOW_SECONDS = 15 * 60;

const STATE = Symbol.for("verbatim.metrics.database");
type State = { at: number; reading: Promise<void> | undefined };

function state(): State {
  const holder = globalThis as unknown as Record<symbol, State | undefined>;
  return (holder[STATE] ??= { at: 0, reading: undefined });
}

async function readDatabaseGauges(): Promise<void> {
  const db = sql();
  const [calls, queue, live] = await Promise.all([callStatusCounts(db, { windowSeconds: ENDED_WINDOW_SECONDS }), queueDepths(db), liveWorkerProcesses(db)]);
  const m = metrics();
  // Every label pair is set, zeros included, so a rate that has no failures reads 0, not "no data".
  m.callsOpen.reset();
  m.callsEndedRecently.reset();
  for (const flow of CALL_FLOWS) {
    for (const status of OPEN_CALL_STATUSES) m.callsOpen.set({ status, flow }, 0);
    for (const status of CALL_STATUSES) if (!(OPEN_CALL_STATUSES as readonly string[]).includes(status)) m.callsEndedRecently.set({ status, flow }, 0);
  }
  const known = (status: string, flow: string) => (CALL_STATUSES as readonly string[]).includes(status) && (CALL_FLOWS as readonly string[]).includes(flow);
  for (const c of calls.open) if (known(c.status, c.flow)) m.callsOpen.set({ status: c.status, flow: c.flow }, c.calls);
  for (const c of calls.ended) if (known(c.status, c.flow)) m.callsEndedRecently.set({ status: c.status, flow: c.flow }, c.calls);

  m.jobQueueDepth.reset();
  const tasks = new Set(Object.keys(taskList));
  for (const task of tasks) m.jobQueueDepth.set({ task }, 0);
  let oldest = 0;
  for (const q of queue) {
    m.jobQueueDepth.inc({ task: tasks.has(q.task) ? q.task : "other" }, q.depth);
    oldest = Math.max(oldest, q.oldestAgeSeconds);
  }
  m.jobQueueOldestAge.set(oldest);
  m.jobWorkersLive.set(live);
}

/** Refresh the database gauges when they are older than DATABASE_READ_MS (one read in flight at most). */
export async function refreshDatabaseGauges(now = Date.now()): Promise<void> {
  const s = state();
  if (s.reading) return s.reading;
  if (now - s.at < DATABASE_READ_MS) return;
  s.reading = readDatabaseGauges()
    .then(() => {
      s.at = now;
    })
    .catch((err: unknown) => {
      metrics().databaseScrapeErrors.inc();
      logger().warn({ err: err instanceof Error ? err.message : String(err) }, "metrics: could not read the database gauges; serving the last values");
    })
    .finally(() => {
      s.reading = undefined;
    });
  return s.reading;
}

/** An app process's scrape: the database gauges refreshed if stale, then the text exposition. */
export async function appScrape(): Promise<{ contentType: string; body: string }> {
  await refreshDatabaseGauges();
  const registry = metricsRegistry();
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A worker process's scrape: its own instruments only. The database gauges are the app's: a
 * worker never reads them, and serving their unset zeros (no live worker, an empty queue) would
 * contradict the app's values.
 */
export async function processScrape(): Promise<{ contentType: string; body: string }> {
  const registry = metricsRegistry();
  const names = new Set<string>(DATABASE_METRICS);
  const kept = (await registry.metrics())
    .split("\n")
    .filter((line) => {
      const name = line.startsWith("# ") ? line.split(" ")[2] : line.split(/[{ ]/)[0];
      return !names.has(name ?? "");
    })
    .join("\n");
  return { contentType: registry.contentType, body: kept };
}

/** Read the database gauges again on the next scrape (tests that change the database and scrape at once). */
export function forgetDatabaseGauges(): void {
  state().at = 0;
}
