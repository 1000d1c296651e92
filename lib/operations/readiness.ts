import "server-only";
import { config } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { readiness as databaseReadiness, type Readiness } from "@/lib/db/readiness";
import { probeTimeStampAuthority } from "@/lib/evidence-sealing/authority";
import { probeTranscriber } from "@/lib/intelligence/assemblyai";
import { storage } from "@/lib/storage";
import { probeCarrier } from "@/lib/telephony/client";
import { liveWorkerProcesses } from "@/lib/worker/liveness";

/**
 * Readiness across every dependency (docs/adr/0042): the database (reachable, migrations
 * current), storage, the carrier, the transcriber, the TSA and the job worker's heartbeat, each
 * with its state and how long its probe took, probed in parallel with a timeout each.
 *
 * - critical (503, `ready: false`): the database does not answer or its migrations are not
 *   the ones shipped. Nothing works without it.
 * - degraded (200, `ready: true`, `degraded` naming each): a provider, storage or the worker is
 *   down. The app still takes requests and webhooks; what needs the dependency waits or fails
 *   with its reason.
 * - healthy (200): all up (a provider that is not configured is `not_configured`, not down).
 *
 * The answer is kept `CACHE_MS` per process and probes in flight are shared, so however often
 * load balancers ask, each provider sees at most one probe per process per `CACHE_MS`.
 */
export type DependencyName = "database" | "storage" | "carrier" | "transcriber" | "tsa" | "worker";
export type DependencyState = "ok" | "down" | "not_configured";

export interface DependencyCheck {
  state: DependencyState;
  latencyMs: number;
  /** Why it is down, in words. */
  reason?: string;
}

export interface ReadinessReport extends Readiness {
  status: "healthy" | "degraded" | "critical";
  /** The dependencies that are down and make the status degraded or critical. */
  degraded: DependencyName[];
  checks: Record<DependencyName, DependencyCheck>;
  checkedAt: string;
}

export const CACHE_MS = 10_000;
const PROBE_TIMEOUT_MS = 3000;

type Probe = () => Promise<{ ok: true } | { ok: false; reason: string } | null>;

async function timed(probe: Probe): Promise<DependencyCheck> {
  const started = performance.now();
  let result: Awaited<ReturnType<Probe>>;
  try {
    result = await probe();
  } catch (err) {
    result = { ok: false, reason: err instanceof Error ? err.message.slice(0, 200) : String(err) };
  }
  const latencyMs = Math.round(performance.now() - started);
  if (result === null) return { state: "not_configured", latencyMs };
  return result.ok ? { state: "ok", latencyMs } : { state: "down", latencyMs, reason: result.reason };
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer: timed out`)), PROBE_TIMEOUT_MS)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function check(): Promise<ReadinessReport> {
  let database: Readiness | undefined;
  const [db, store, carrier, transcriber, tsa, worker] = await Promise.all([
    timed(async () => {
      database = await databaseReadiness();
      if (database.database === "unreachable") return { ok: false, reason: "the database did not answer" };
      if (database.migrations !== "current") return { ok: false, reason: `migrations are ${database.migrations}` };
      return { ok: true };
    }),
    timed(async () => {
      await withTimeout(storage().exists("health/probe"), "storage");
      return { ok: true };
    }),
    timed(() => probeCarrier(PROBE_TIMEOUT_MS)),
    timed(() => probeTranscriber(PROBE_TIMEOUT_MS)),
    timed(() => probeTimeStampAuthority(PROBE_TIMEOUT_MS)),
    timed(async () => {
      const live = await withTimeout(liveWorkerProcesses(sql()), "the database");
      if (live > 0) return { ok: true };
      return {
        ok: false,
        reason: config().jobsInProcess
          ? "the in-process job worker holds no liveness lock: jobs wait"
          : "no job worker process holds its liveness lock (`npm run worker`): jobs wait",
      };
    }),
  ]);
  const checks: Record<DependencyName, DependencyCheck> = { database: db, storage: store, carrier, transcriber, tsa, worker };
  const degraded = (Object.keys(checks) as DependencyName[]).filter((name) => checks[name].state === "down");
  const status = db.state !== "ok" ? "critical" : degraded.length > 0 ? "degraded" : "healthy";
  return {
    ...database!,
    // `ready` keeps its meaning for existing probes: the app can serve (healthy or degraded).
    ready: status !== "critical",
    status,
    degraded,
    checks,
    checkedAt: new Date().toISOString(),
  };
}

const CACHE = Symbol.for("verbatim.readiness");
type Cached = { at: number; report: Promise<ReadinessReport> };

/** The readiness report, probed at most once per CACHE_MS in this process. */
export function readinessReport(now = Date.now()): Promise<ReadinessReport> {
  const holder = globalThis as unknown as Record<symbol, Cached | undefined>;
  const cached = holder[CACHE];
  if (cached && now - cached.at < CACHE_MS) return cached.report;
  const report = check();
  holder[CACHE] = { at: now, report };
  return report;
}

/** Forget the cached report (tests that change a dependency and ask again at once). */
export function forgetReadiness(): void {
  (globalThis as unknown as Record<symbol, Cached | undefined>)[CACHE] = undefined;
}
