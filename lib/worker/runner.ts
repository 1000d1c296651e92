import "server-only";
import { EventEmitter } from "node:events";
import { parseCronItems, run, type Runner, type TaskList, type WorkerEvents } from "graphile-worker";
import { config, requireDatabaseUrl } from "@/lib/config";
import { graphileLogger } from "@/lib/worker/graphile-log";
import { holdLiveness, releaseDeadWorkers } from "@/lib/worker/liveness";
import { requestIdOfJob, taskList as defaultTaskList } from "@/lib/worker/task-list";
import { logger, type Logger } from "@/lib/logger";
import { metrics } from "@/lib/metrics";

/**
 * The job worker: graphile-worker's runner with our task list and a crontab that runs
 * `reconcile_calls`, `reconcile_transcriptions`, `sweep_campaigns` and `release_dead_workers`
 * every minute and `expire_evidence_exports` every five. Workers in any number of processes
 * share the queue (jobs are taken with SKIP LOCKED; each cron tick is scheduled once across all
 * of them). Every failed attempt is logged with the task, attempt and error message; the
 * payload never is. Each process holds a liveness lock (lib/worker/liveness.ts) so that, if it
 * dies hard, the jobs it held are released within a minute rather than graphile-worker's 4 hours.
 *
 * It needs a session-mode connection (LISTEN/NOTIFY, the liveness lock): on Supabase, the direct
 * or session-pooler URL, not the transaction pooler.
 */
export interface WorkerOptions {
  connectionString?: string;
  /** Jobs run at once in this process (default 2). */
  concurrency?: number;
  /** Milliseconds between polls when no notification arrives (default 2000). */
  pollInterval?: number;
  /** Schedule the reconcilers and the export expiry (default true). */
  crontab?: boolean;
  /**
   * Let graphile-worker handle SIGINT/SIGTERM: finish running jobs, then re-raise the signal so
   * the process ends as it would have. For the in-process worker; bin/worker.ts handles
   * signals itself. Default false.
   */
  handleSignals?: boolean;
  /** Tests substitute tasks; the app never does. */
  taskList?: TaskList;
  /** Where the worker logs (default: the app's pino logger). */
  log?: Logger;
}

export interface RunningWorker {
  stop(): Promise<void>;
  /** graphile-worker's runner, for tests that wait on its events. */
  runner: Runner;
}

const RECONCILE_CRON = parseCronItems([
  {
    // A running campaign whose tick was lost gets one again (lib/campaigns/runner.ts).
    task: "sweep_campaigns",
    match: "* * * * *",
    identifier: "sweep_campaigns",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "sweep_campaigns", jobKeyMode: "preserve_run_at" },
  },
  {
    task: "reconcile_calls",
    match: "* * * * *",
    identifier: "reconcile_calls",
    // No backfill: a missed minute is covered by the next one. One attempt, and one job key,
    // so a failing reconciler leaves one failed job, not one per minute.
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "reconcile_calls", jobKeyMode: "preserve_run_at" },
  },
  {
    // The transcriber's webhooks are advisory too (lib/intelligence/reconcile-transcriptions.ts).
    task: "reconcile_transcriptions",
    match: "* * * * *",
    identifier: "reconcile_transcriptions",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "reconcile_transcriptions", jobKeyMode: "preserve_run_at" },
  },
  {
    // The jobs of a worker process that died hard, released (lib/worker/liveness.ts).
    task: "release_dead_workers",
    match: "* * * * *",
    identifier: "release_dead_workers",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "release_dead_workers", jobKeyMode: "preserve_run_at" },
  },
  {
    // Export archives past their expiry (docs/adr/0020); a day's archive outlives a late run by minutes.
    task: "expire_evidence_exports",
    match: "*/5 * * * *",
    identifier: "expire_evidence_exports",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "expire_evidence_exports", jobKeyMode: "preserve_run_at" },
  },
  {
    // Content past its retention policy, a bounded batch a minute (lib/retention/deletions.ts).
    task: "retention_sweep",
    match: "* * * * *",
    identifier: "retention_sweep",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "retention_sweep", jobKeyMode: "preserve_run_at" },
  },
  {
    // Numbers still in E.164 (rows from before docs/adr/0044, direct inserts) sealed, and those
    // under a retired data key re-sealed after a rotation: up to 50 s of batches a minute.
    task: "seal_numbers",
    match: "* * * * *",
    identifier: "seal_numbers",
    options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "seal_numbers", jobKeyMode: "preserve_run_at" },
  },
]);

export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const log = (options.log ?? logger()).child({ component: "jobs" });
  const concurrency = options.concurrency ?? 2;
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;

  // Metrics by task name, from the task list only: a job row naming anything else is "other".
  const knownTasks = new Set(Object.keys(options.taskList ?? defaultTaskList));
  const taskLabel = (task: string) => (knownTasks.has(task) ? task : "other");
  const started = new Map<string, number>();
  events.on("job:start", ({ job }) => {
    started.set(job.id, performance.now());
  });
  events.on("job:success", ({ job }) => {
    metrics().jobRuns.inc({ task: taskLabel(job.task_identifier), outcome: "success" });
  });
  events.on("job:complete", ({ job }) => {
    const t0 = started.get(job.id);
    started.delete(job.id);
    if (t0 !== undefined) metrics().jobDuration.observe({ task: taskLabel(job.task_identifier) }, (performance.now() - t0) / 1000);
  });
  events.on("job:error", ({ job, error }) => {
    const final = job.attempts >= job.max_attempts;
    metrics().jobRuns.inc({ task: taskLabel(job.task_identifier), outcome: final ? "failed" : "retry" });
    log[final ? "error" : "warn"](
      {
        task: job.task_identifier,
        jobId: job.id,
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
        requestId: requestIdOfJob(job.payload),
        err: error instanceof Error ? error.message : String(error),
      },
      final ? "job failed for good" : "job failed; will retry",
    );
  });
  // One line per job run, with its key, at debug: what `npm run bench:cluster` counts to show
  // that every job ran once, in one worker, however many workers share the queue.
  events.on("job:complete", ({ worker, job, error }) => {
    log.debug({ task: job.task_identifier, jobId: job.id, jobKey: job.key, attempt: job.attempts, workerId: worker.workerId, requestId: requestIdOfJob(job.payload), ok: !error }, "job run");
  });
  events.on("pool:listen:error", ({ error }) => {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, "job worker lost its LISTEN connection; reconnecting");
  });

  const connectionString = options.connectionString ?? requireDatabaseUrl();
  // Before the runner: a process takes no job without its lock.
  const liveness = await holdLiveness(connectionString, { log });
  // graphile-worker 0.18 marks a job with its pool's id (`locked_by`), not the worker's; the
  // pool is created, synchronously, before its workers ask for a job.
  let poolId: string | undefined;
  events.on("pool:create", ({ workerPool }) => {
    poolId = workerPool.id;
  });

  let runner: Runner;
  try {
    runner = await run({
      connectionString,
      concurrency,
      maxPoolSize: Math.max(4, concurrency + 2),
      pollInterval: options.pollInterval ?? 2000,
      noHandleSignals: !options.handleSignals,
      logger: graphileLogger(log),
      events,
      taskList: options.taskList ?? defaultTaskList,
      parsedCronItems: options.crontab === false ? [] : RECONCILE_CRON,
      // Asked before every job fetch, awaited if a promise, and a throw skips the fetch: the
      // hook that makes "no job before the pool is recorded under the lock" hold. It forbids no
      // flag.
      forbiddenFlags: () => (poolId === undefined ? Promise.reject(new Error("no worker pool yet")) : liveness.ready(poolId)),
    });
  } catch (err) {
    await liveness.end();
    throw err;
  }
  // However the runner ends (stop(), or graphile-worker's own signal handling), the process is no longer a worker.
  void runner.promise.then(liveness.end, liveness.end).catch(() => undefined);
  log.info({ concurrency }, "job worker started");
  // A worker that starts is often the one that replaces a process that died: its jobs need not
  // wait for the next minute's sweep.
  void releaseDeadWorkers({ log }).catch((err: unknown) => {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not release the jobs of dead worker processes");
  });

  let stopping: Promise<void> | undefined;
  return {
    runner,
    stop() {
      stopping ??= (async () => {
        try {
          await runner.stop();
        } finally {
          await liveness.end();
        }
        log.info("job worker stopped");
      })();
      return stopping;
    },
  };
}

const globalForJobs = globalThis as unknown as { verbatimWorker?: Promise<RunningWorker | undefined> };

/**
 * Start the worker inside the app process when `config().jobsInProcess` (the embedded default),
 * once per process whatever calls it (Next's dev server may evaluate instrumentation again).
 * Resolves to undefined when jobs run elsewhere (`npm run worker`).
 */
export function startInProcessWorker(): Promise<RunningWorker | undefined> {
  globalForJobs.verbatimWorker ??= (async () => {
    // `next build` evaluates instrumentation too; there is no database to work against then.
    if (process.env.NEXT_PHASE === "phase-production-build" || !config().jobsInProcess) return undefined;
    return startWorker({ handleSignals: true });
  })().catch((err: unknown) => {
    globalForJobs.verbatimWorker = undefined;
    logger().error({ err: err instanceof Error ? err.message : String(err) }, "could not start the in-process job worker");
    return undefined;
  });
  return globalForJobs.verbatimWorker;
}
