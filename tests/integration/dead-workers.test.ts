import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import { releaseDeadWorkers, WORKER_LOCK_SPACE } from "@/lib/worker/liveness";
import { startWorker } from "@/lib/worker/runner";
import { taskList } from "@/lib/worker/task-list";

/**
 * A worker process that dies hard leaves its jobs locked; graphile-worker alone frees them after
 * 4 hours. Here a worker runs in a process of its own (tests/support/worker-child.ts), takes a
 * job that never ends, and "dies": frozen with SIGSTOP so it can clean nothing up, its liveness
 * session and pool connections ended by the server (what Postgres does when the machine at the
 * other end is gone), or killed with SIGKILL. The sweep must free the job for another worker,
 * and must never touch a live worker's job.
 */

const CHILD_APP = "verbatim-test-worker-child";
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** A worker in another process; its output lines, parsed, as they come. */
function spawnWorker(): { child: ChildProcess; lines: Record<string, unknown>[] } {
  const url = new URL(process.env.DATABASE_URL!);
  url.searchParams.set("application_name", CHILD_APP);
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "tests/support/worker-child.ts"], {
    env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? "silent" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not ours
    }
  });
  return { child, lines };
}

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { log, lines };
}

async function addProbe(key: string): Promise<void> {
  await sql()`select graphile_worker.add_job(identifier => 'hold_probe', payload => '{"secret":"not for logs"}'::json, job_key => ${key})`;
}

async function job(key: string) {
  const [row] = await sql()<{ id: string; lockedBy: string | null; attempts: number }[]>`
    select id::text, locked_by as "lockedBy", attempts from graphile_worker.jobs where key = ${key}`;
  return row;
}

async function processRows() {
  return sql()<{ lockedBy: string; processKey: number; pid: number }[]>`
    select locked_by as "lockedBy", process_key as "processKey", pid from private.worker_processes order by started_at`;
}

/** The server-side sessions of the worker process that recorded `lockedBy`: its liveness session and its pool's. */
async function backendsOf(lockedBy: string): Promise<number[]> {
  const rows = await sql()<{ pid: number }[]>`
    select l.pid from pg_locks l join private.worker_processes w on l.objid = w.process_key::oid
    where w.locked_by = ${lockedBy} and l.database = (select oid from pg_database where datname = current_database())
      and l.locktype = 'advisory' and l.classid = ${WORKER_LOCK_SPACE}::integer::oid and l.objsubid = 2
    union
    select pid from pg_stat_activity where datname = current_database() and application_name = ${CHILD_APP}`;
  return rows.map((r) => r.pid);
}

/**
 * A worker in this process with the app's tasks and `hold_probe`, which calls `onProbe`. Its
 * second slot runs the sweep's task while the first holds a probe.
 */
async function workerHere(onProbe: (jobId: string) => Promise<void> | void) {
  const { log, lines } = logSink();
  const worker = await startWorker({
    crontab: false,
    pollInterval: 100,
    concurrency: 2,
    log,
    taskList: { ...taskList, hold_probe: (_payload, helpers) => onProbe(helpers.job.id) },
  });
  return { worker, log, lines };
}

/** A worker in this process whose `hold_probe` jobs wait until `finish()`. */
async function holdingWorker() {
  let finish!: () => void;
  const held = new Promise<void>((resolve) => (finish = resolve));
  const started: string[] = [];
  const here = await workerHere(async (jobId) => {
    started.push(jobId);
    await held;
  });
  return { ...here, started, finish };
}

/** The backend that holds the liveness lock of the process that recorded `lockedBy`. */
async function livenessBackend(lockedBy: string): Promise<number | undefined> {
  const [row] = await sql()<{ pid: number }[]>`
    select l.pid from pg_locks l join private.worker_processes w on l.objid = w.process_key::oid
    where w.locked_by = ${lockedBy} and l.database = (select oid from pg_database where datname = current_database())
      and l.locktype = 'advisory' and l.granted and l.classid = ${WORKER_LOCK_SPACE}::integer::oid and l.objsubid = 2`;
  return row?.pid;
}

async function livenessLocks(): Promise<number> {
  const rows = await sql()`
    select 1 from pg_locks where locktype = 'advisory' and classid = ${WORKER_LOCK_SPACE}::integer::oid
      and database = (select oid from pg_database where datname = current_database())`;
  return rows.length;
}

/** A worker in another process, running (for ever) the probe job with key `key`. */
async function childHolding(key: string) {
  const { child, lines } = spawnWorker();
  await expect.poll(() => lines.some((l) => l.started), { timeout: 120_000, interval: 200 }).toBe(true);
  await addProbe(key);
  await expect.poll(() => lines.some((l) => l.running), { timeout: 20_000, interval: 100 }).toBe(true);
  return { child, taken: (await job(key))! };
}

describe("the jobs of a worker process that died", () => {
  it("are released by the sweep and run by another worker; nothing else frees them", { timeout: 180_000 }, async () => {
    const { child, taken } = await childHolding("dead-probe");
    expect(taken.lockedBy).not.toBeNull();
    // The child recorded the pool id its job carries, under its own pid, before taking it.
    expect((await processRows()).filter((r) => r.lockedBy === taken.lockedBy).map((r) => r.pid)).toEqual([child.pid]);

    // Another worker, in this process. Its own start sweeps once; the child is alive, so its job stays locked.
    const ranHere: string[] = [];
    const { worker: other, log } = await workerHere((jobId) => {
      ranHere.push(jobId);
    });
    try {
      expect(await releaseDeadWorkers({ log })).toEqual({ processes: 0, pools: 0, jobs: 0 });
      expect((await job("dead-probe"))!.lockedBy).toBe(taken.lockedBy);

      // The child dies: it can run nothing any more, and the server ends its sessions.
      child.kill("SIGSTOP");
      const backends = await backendsOf(taken.lockedBy!);
      expect(backends.length).toBeGreaterThanOrEqual(2);
      await sql()`select pg_terminate_backend(pid) from unnest(${backends}::int[]) as pid`;
      await expect.poll(async () => (await sql()`select 1 from pg_stat_activity where pid = any(${backends}::int[])`).length, { timeout: 10_000 }).toBe(0);
      // Nothing but the sweep frees the job: a second later it is still locked by the dead pool.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await job("dead-probe"))!.lockedBy).toBe(taken.lockedBy);
      expect(ranHere).toEqual([]);

      // The crontab's task, run by the live worker.
      await other.runner.addJob("release_dead_workers", {});
      await expect.poll(() => ranHere, { timeout: 15_000, interval: 100 }).toEqual([taken.id]);
      expect(await job("dead-probe")).toBeUndefined();
      expect((await processRows()).filter((r) => r.lockedBy === taken.lockedBy)).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it("are released after SIGKILL too: the kernel closes its connections, the server ends its sessions", { timeout: 180_000 }, async () => {
    const { child, taken } = await childHolding("killed-probe");
    child.kill("SIGKILL");
    const { log, lines } = logSink();
    await expect.poll(async () => (await releaseDeadWorkers({ log })).jobs, { timeout: 15_000, interval: 200 }).toBe(1);
    // One line, with counts and nothing of the jobs' payloads.
    const released = lines.filter((l) => l.msg === "released the jobs of worker processes that died");
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({ level: 40, processes: 1, pools: 1, jobs: 1 });
    expect(JSON.stringify(lines)).not.toContain("not for logs");
    // Free for any worker, with the attempt it used counted.
    expect(await job("killed-probe")).toMatchObject({ id: taken.id, lockedBy: null, attempts: 1 });
    expect((await processRows()).filter((r) => r.lockedBy === taken.lockedBy)).toEqual([]);
    await sql()`select graphile_worker.remove_job('killed-probe')`;
  });
});

describe("a live worker", () => {
  it("keeps its jobs through any number of sweeps, and leaves no record when it stops", { timeout: 60_000 }, async () => {
    const { worker, started, finish, log } = await holdingWorker();
    try {
      await addProbe("live-probe");
      await expect.poll(() => started.length, { timeout: 10_000, interval: 100 }).toBe(1);
      const taken = (await job("live-probe"))!;
      expect((await processRows()).map((r) => [r.lockedBy, r.pid])).toEqual([[taken.lockedBy, process.pid]]);

      // Swept directly, and by the crontab's task in the same worker.
      expect(await releaseDeadWorkers({ log })).toEqual({ processes: 0, pools: 0, jobs: 0 });
      const sweep = await worker.runner.addJob("release_dead_workers", {});
      await expect.poll(async () => (await sql()`select 1 from graphile_worker.jobs where id = ${sweep.id}`).length, { timeout: 10_000 }).toBe(0);
      expect((await job("live-probe"))!.lockedBy).toBe(taken.lockedBy);
      expect((await processRows()).map((r) => r.lockedBy)).toEqual([taken.lockedBy]);

      finish();
      await expect.poll(() => job("live-probe"), { timeout: 10_000 }).toBeUndefined();
    } finally {
      finish();
      await worker.stop();
    }
    expect(await processRows()).toEqual([]);
    // Its lock is gone with its session.
    expect(await livenessLocks()).toBe(0);
  });

  it("takes its lock back when its liveness session is cut, and keeps its jobs", { timeout: 60_000 }, async () => {
    const { worker, started, finish, log, lines } = await holdingWorker();
    try {
      await addProbe("cut-probe");
      await expect.poll(() => started.length, { timeout: 10_000, interval: 100 }).toBe(1);
      const taken = (await job("cut-probe"))!;
      const before = (await livenessBackend(taken.lockedBy!))!;
      expect(before).toBeDefined();

      await sql()`select pg_terminate_backend(${before}::int)`;
      // Another session of the same process holds the lock again, the pool still recorded under it.
      await expect
        .poll(async () => {
          const now = await livenessBackend(taken.lockedBy!);
          return now !== undefined && now !== before;
        }, { timeout: 10_000, interval: 100 })
        .toBe(true);
      expect(lines.map((l) => l.msg)).toContain("job worker took its liveness lock again");
      expect(lines.map((l) => l.msg)).not.toContain("a sweep took this worker for dead while its liveness session was lost; jobs it was running may run again elsewhere");

      expect(await releaseDeadWorkers({ log })).toEqual({ processes: 0, pools: 0, jobs: 0 });
      expect((await job("cut-probe"))!.lockedBy).toBe(taken.lockedBy);
      // And it still takes jobs.
      await addProbe("after-cut-probe");
      await expect.poll(() => started.length, { timeout: 10_000, interval: 100 }).toBe(2);
    } finally {
      finish();
      await worker.stop();
    }
    expect(await processRows()).toEqual([]);
    expect(await livenessLocks()).toBe(0);
  });
});
