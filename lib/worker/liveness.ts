import "server-only";
import { randomInt } from "node:crypto";
import { hostname } from "node:os";
import { asService } from "@/lib/db";
import { sessionSql, type Sql } from "@/lib/db/client";
import type { Logger } from "@/lib/logger";

/**
 * Jobs of a worker process that died hard (SIGKILL, out of memory, the machine gone) released
 * within a minute instead of graphile-worker's 4 hours (docs/adr/0040).
 *
 * Each worker process holds a session-level advisory lock on (WORKER_LOCK_SPACE, its key) on a
 * connection of its own, and records its worker pool's id (what its jobs carry in `locked_by`)
 * in `private.worker_processes` under that key before the pool takes a job. Postgres ends the
 * lock with the session: when the process is gone, anyone can take it. `releaseDeadWorkers`
 * (every minute from the crontab, and when a worker starts) takes every recorded key it can and
 * frees those pools' jobs. A live process's lock cannot be taken, so its jobs are never touched.
 */

/** The first key of the worker processes' two-key advisory locks (pg_locks.classid). Nothing else uses the two-key form. */
export const WORKER_LOCK_SPACE = 0x56627477;
/** How often a process makes sure it still holds its lock (and keeps its session from looking idle). */
const CHECK_EVERY_MS = 15_000;

export interface ReleasedWorkers {
  /** Dead processes forgotten. */
  processes: number;
  /** Their worker pools. */
  pools: number;
  /** Jobs they held, now free to run. */
  jobs: number;
}

/**
 * Free the jobs of every worker process whose session is gone, and forget those processes.
 * Logs what it released (counts only).
 */
export async function releaseDeadWorkers({ log }: { log: Logger }): Promise<ReleasedWorkers> {
  const [released] = await asService((tx) => tx<ReleasedWorkers[]>`
    select processes, pools, jobs from private.release_dead_workers(${WORKER_LOCK_SPACE}::integer)`);
  if (released!.processes > 0) log.warn({ ...released }, "released the jobs of worker processes that died");
  return released!;
}

export interface Liveness {
  /**
   * Null once the pool is recorded under a lock this process holds; until then a promise that
   * records it (rejected if it cannot, and asked again on the next poll). The runner waits on it
   * before every job fetch, so no job is taken by a pool the sweep would not know.
   */
  ready(lockedBy: string): null | Promise<null>;
  /** Graceful stop, after the runner stopped: delete this process's rows, drop its lock, close the session. Once. */
  end(): Promise<void>;
}

/** Take this process's lock on a session of its own. Call before the runner starts. */
export async function holdLiveness(connectionString: string, { log }: { log: Logger }): Promise<Liveness> {
  // Not held until the key is taken; from then on, until the session is lost.
  let held = false;
  let ending = false;
  let recovering: Promise<void> | undefined;
  let ended: Promise<void> | undefined;
  const recorded = new Set<string>();
  const session = sessionSql(connectionString, "verbatim-worker-liveness", { onclose: () => lost() });
  let key: number;
  try {
    key = await takeKey(session);
  } catch (err) {
    await session.end({ timeout: 5 }).catch(() => undefined);
    throw err;
  }
  held = true;

  async function record(lockedBy: string): Promise<void> {
    await session`
      insert into private.worker_processes (locked_by, process_key, pid, host)
      values (${lockedBy}, ${key}, ${process.pid}, ${hostname()})
      on conflict (locked_by) do update set process_key = excluded.process_key`;
    recorded.add(lockedBy);
  }

  /**
   * The session was lost (Postgres restarted, the network dropped, someone ended it) and
   * postgres.js opened another: the lock went with the old one. Take the same key back if it is
   * free (nothing was released if no sweep ran meanwhile), else a new one, and record the pools
   * under it. A sweep that ran while the lock was free took this process for dead and freed its
   * jobs: those running here may run again elsewhere (tasks are idempotent, ADR 0006).
   */
  async function recover(): Promise<void> {
    const [again] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(${WORKER_LOCK_SPACE}::integer, ${key}::integer) as locked`;
    if (!again!.locked) key = await takeKey(session);
    const rows = await session<{ lockedBy: string }[]>`
      select locked_by as "lockedBy" from private.worker_processes where process_key = ${key} and locked_by = any(${[...recorded]}::text[])`;
    if (rows.length < recorded.size) {
      log.error({ pools: recorded.size - rows.length }, "a sweep took this worker for dead while its liveness session was lost; jobs it was running may run again elsewhere");
    }
    for (const lockedBy of recorded) await record(lockedBy);
    held = true;
    log.warn("job worker took its liveness lock again");
  }

  function recoverOnce(): Promise<void> {
    recovering ??= recover().finally(() => {
      recovering = undefined;
    });
    return recovering;
  }

  /** The session ended under this process: no job until the lock is back, and take it back now. */
  function lost(): void {
    if (ending || !held) return;
    held = false;
    log.error("job worker lost its liveness session; taking its lock again");
    recoverOnce().catch((err: unknown) => {
      // The next job fetch asks again (`ready`).
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "job worker could not take its liveness lock again yet");
    });
  }

  // A backstop for a loss nobody heard (and a statement now and then, so no idle-session limit
  // or middlebox takes the session for abandoned).
  const check = setInterval(() => {
    if (ending || recovering) return;
    void (async () => {
      const [row] = await session<{ held: boolean }[]>`
        select exists (
          select 1 from pg_locks
          where locktype = 'advisory' and pid = pg_backend_pid() and granted
            and classid = ${WORKER_LOCK_SPACE}::integer::oid and objid = ${key}::integer::oid and objsubid = 2
        ) as held`;
      if (!row!.held) lost();
    })().catch((err: unknown) => {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "job worker could not check its liveness lock");
    });
  }, CHECK_EVERY_MS);
  check.unref();

  async function endSession(): Promise<void> {
    ending = true;
    clearInterval(check);
    try {
      // Rows first: a sweep that found the lock free with the rows still there would call this
      // process dead in the log.
      await session`delete from private.worker_processes where process_key = ${key}`;
      await session`select pg_advisory_unlock(${WORKER_LOCK_SPACE}::integer, ${key}::integer)`;
    } catch (err) {
      // The session ends below either way; the sweep deletes what was left.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "job worker could not remove its liveness record");
    }
    await session.end({ timeout: 5 });
  }

  return {
    ready(lockedBy) {
      if (held && recorded.has(lockedBy)) return null;
      return (async () => {
        try {
          if (!held) await recoverOnce();
          else await record(lockedBy);
          return null;
        } catch (err) {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, "job worker could not record itself; it takes no job until it has");
          throw err;
        }
      })();
    },
    end() {
      ended ??= endSession();
      return ended;
    },
  };
}

/**
 * A random key whose lock this session takes, which no recorded process uses: a key with rows
 * but a free lock belongs to a dead process the sweep has not reached yet, and stays its own.
 */
async function takeKey(session: Sql): Promise<number> {
  for (let tries = 0; tries < 10; tries++) {
    const key = randomInt(1, 2 ** 31);
    const [row] = await session<{ locked: boolean; used: boolean }[]>`
      select pg_try_advisory_lock(${WORKER_LOCK_SPACE}::integer, ${key}::integer) as locked,
             exists (select 1 from private.worker_processes where process_key = ${key}) as used`;
    if (row!.locked && !row!.used) return key;
    if (row!.locked) await session`select pg_advisory_unlock(${WORKER_LOCK_SPACE}::integer, ${key}::integer)`;
  }
  throw new Error("could not take a worker liveness key");
}

/**
 * How many worker processes are alive now: recorded in `private.worker_processes` with their
 * liveness lock held by a session (the heartbeat readiness and the metrics report). Needs the
 * database owner's connection: the table has no grant to any API role.
 */
export async function liveWorkerProcesses(sql: Sql): Promise<number> {
  const [row] = await sql<{ live: number }[]>`
    select count(distinct w.process_key)::int as live
    from private.worker_processes w
    where exists (
      select 1 from pg_locks l
      where l.locktype = 'advisory' and l.granted
        and l.classid = ${WORKER_LOCK_SPACE}::integer::oid and l.objid = w.process_key::oid and l.objsubid = 2
    )`;
  return row!.live;
}
