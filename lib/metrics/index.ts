import "server-only";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { config } from "@/lib/config";

/**
 * The process's Prometheus instruments (prom-client), one set per process whatever loads this
 * module: the app server evaluates route modules twice (Next's bundle, and bin/machine-routes.ts
 * through Node's own loader), and Next's dev server may evaluate them again, so the set lives on
 * `globalThis` and every copy of this module records into the same counters.
 *
 * Cardinality is bounded by construction: every label takes its values from a closed list (a
 * route's template, never its path; a task's name from the task list; a limit's name), never a
 * call id, a number, a user or an organization. `/api/metrics` (app) and the worker's metrics
 * port (`WORKER_METRICS_PORT`) serve `metricsRegistry()`; the gauges read from the database are
 * set at scrape time by lib/operations (docs/adr/0042).
 */

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** Call statuses and flows as the database holds them (public.call_status, calls.flow). */
export const CALL_STATUSES = ["queued", "initiated", "ringing", "in_progress", "completed", "busy", "no_answer", "failed", "canceled"] as const;
export const OPEN_CALL_STATUSES = ["queued", "initiated", "ringing", "in_progress"] as const;
export const CALL_FLOWS = ["direct", "bridge"] as const;

export type WebhookOutcome = "acknowledged" | "unverified" | "rate_limited" | "rejected" | "error";
export type Provider = "carrier" | "transcriber" | "tsa";

function build() {
  const registry = new Registry();
  const r = [registry];
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookRequests: new Histogram({
      name: "verbatim_webhook_request_duration_seconds",
      help: "Provider webhook requests (SignalWire callbacks and LaML, AssemblyAI) by provider, route template and outcome: acknowledged (2xx), unverified (401/403), rate_limited (429), rejected (other 4xx), error (5xx).",
      labelNames: ["provider", "route", "outcome"] as const,
      buckets: SECONDS_FAST,
      registers: r,
    }),
    rateLimitRefusals: new Counter({
      name: "verbatim_rate_limit_refusals_total",
      help: "Requests refused with 429 by a limit, by the limit's name.",
      labelNames: ["limit"] as const,
      registers: r,
    }),
    sseConnections: new Gauge({
      name: "verbatim_sse_connections",
      help: "Live-event (SSE) streams this process holds open.",
      registers: r,
    }),
    jobRuns: new Counter({
      name: "verbatim_job_runs_total",
      help: "Job attempts this process ran, by task and outcome: success, retry (failed, will run again), failed (failed its last attempt).",
      labelNames: ["task", "outcome"] as const,
      registers: r,
    }),
    jobDuration: new Histogram({
      name: "verbatim_job_duration_seconds",
      help: "How long a job attempt ran, by task.",
      labelNames: ["task"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: r,
    }),
    reconcilerActions: new Counter({
      name: "verbatim_reconciler_actions_total",
      help: "What the reconcilers changed or failed at, by reconciler (calls, transcriptions) and action (the fields of their reports).",
      labelNames: ["reconciler", "action"] as const,
      registers: r,
    }),
    providerRequests: new Histogram({
      name: "verbatim_provider_request_duration_seconds",
      help: "Requests to providers (carrier: SignalWire REST; transcriber: AssemblyAI; tsa: the RFC 3161 authority) by operation and outcome (ok; rejected: a 4xx answer; error: a 5xx, no answer, or a failed request).",
      labelNames: ["provider", "operation", "outcome"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    transcriptionsSettled: new Counter({
      name: "verbatim_transcriptions_settled_total",
      help: "Transcriptions that reached a final state, by outcome (completed, error: the transcriber reported an error or refused the request for good).",
      labelNames: ["outcome"] as const,
      registers: r,
    }),
    sealingLag: new Histogram({
      name: "verbatim_sealing_lag_seconds",
      help: "From a call's end to a manifest version sealed for it, by version: first (the call's first manifest), later (a version sealed as artifacts arrive).",
      labelNames: ["version"] as const,
      buckets: SECONDS_SLOW,
      registers: r,
    }),
    // Read from the database at scrape time (lib/operations/scrape.ts), app processes only.
    callsOpen: new Gauge({
      name: "verbatim_calls_open",
      help: "Calls not yet in a final status, by status and flow (every organization; read from the database, cached 15 s).",
      labelNames: ["status", "flow"] as const,
      registers: r,
    }),
    callsEndedRecently: new Gauge({
      name: "verbatim_calls_ended_recent",
      help: "Calls that ended in the last 15 minutes, by final status and flow (every organization; read from the database, cached 15 s).",
      labelNames: ["status", "flow"] as const,
      registers: r,
    }),
    jobQueueDepth: new Gauge({
      name: "verbatim_job_queue_depth",
      help: "Jobs due to run and not taken by a worker, by task (read from the database, cached 15 s; counted up to 100,000).",
      labelNames: ["task"] as const,
      registers: r,
    }),
    jobQueueOldestAge: new Gauge({
      name: "verbatim_job_queue_oldest_age_seconds",
      help: "How long the longest-waiting due job has waited past its run_at (0 when none is waiting).",
      registers: r,
    }),
    jobWorkersLive: new Gauge({
      name: "verbatim_job_workers_live",
      help: "Worker processes holding their liveness lock (private.worker_processes, docs/adr/0040).",
      registers: r,
    }),
    databaseScrapeErrors: new Counter({
      name: "verbatim_metrics_database_read_errors_total",
      help: "Scrapes whose database-read gauges could not be refreshed (the previous values are served).",
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof build>;

const KEY = Symbol.for("verbatim.metrics");

/**
 * What `METRICS=off` records: nothing. Every instrument is a no-op and the registry is empty;
 * it exists to measure what the metrics cost (`npm run bench:webhooks` side by side).
 */
function disabled(): Metrics {
  const holder = globalThis as unknown as Holder;
  if (holder[OFF]) return holder[OFF];
  const noop = { inc() {}, dec() {}, set() {}, reset() {}, observe() {}, startTimer: () => () => 0 };
  const built = { registry: new Registry() } as Record<string, unknown>;
  for (const name of INSTRUMENTS) built[name] = noop;
  return (holder[OFF] = built as unknown as Metrics);
}

const INSTRUMENTS = [
  "webhookRequests", "rateLimitRefusals", "sseConnections", "jobRuns", "jobDuration", "reconcilerActions", "providerRequests",
  "transcriptionsSettled", "sealingLag", "callsOpen", "callsEndedRecently", "jobQueueDepth", "jobQueueOldestAge", "jobWorkersLive",
  "databaseScrapeErrors",
] as const satisfies readonly Exclude<keyof Metrics, "registry">[];
// Every instrument is in the list (a new one left out would be undefined when metrics are off).
type Unlisted = Exclude<Exclude<keyof Metrics, "registry">, (typeof INSTRUMENTS)[number]>;
const everyInstrumentListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyInstrumentListed;

/** The metrics only app processes serve, read from the database at scrape (lib/operations/scrape.ts). */
export const DATABASE_METRICS = [
  "verbatim_calls_open", "verbatim_calls_ended_recent", "verbatim_job_queue_depth", "verbatim_job_queue_oldest_age_seconds",
  "verbatim_job_workers_live", "verbatim_metrics_database_read_errors_total",
] as const;

const BUILT = Symbol.for("verbatim.metrics.built");
type Holder = Record<symbol, Metrics | undefined>;

/** The process's instruments, made on first use. */
export function metrics(): Metrics {
  const holder = globalThis as unknown as Holder;
  return (holder[KEY] ??= config().metrics.enabled ? (holder[BUILT] ??= build()) : disabled());
}

/** Whether this process records metrics now (METRICS=on, and not switched off by a bench). */
export function recording(): boolean {
  return metrics().registry !== (globalThis as unknown as Holder)[OFF]?.registry;
}

const OFF = Symbol.for("verbatim.metrics.off");

/**
 * Switch recording off and on again in a running process: `npm run bench:webhooks --
 * --metrics-rounds N` measures the webhook route with and without metrics, interleaved, on one
 * server (bin/server.ts answers it on loopback only, and only with VERBATIM_METRICS_TOGGLE=1).
 * What was counted before is kept while off.
 */
export function setRecording(on: boolean): void {
  const holder = globalThis as unknown as Holder;
  if (on) holder[KEY] = config().metrics.enabled ? (holder[BUILT] ??= build()) : disabled();
  else holder[KEY] = holder[OFF] ??= disabled();
}

export function metricsRegistry(): Registry {
  return metrics().registry;
}

/** The outcome label of a provider webhook's response status. */
export function webhookOutcome(status: number): WebhookOutcome {
  if (status < 400) return "acknowledged";
  if (status === 401 || status === 403) return "unverified";
  if (status === 429) return "rate_limited";
  if (status < 500) return "rejected";
  return "error";
}

/**
 * Time one request to a provider: its latency under `verbatim_provider_request_duration_seconds`
 * with outcome ok or error (thrown). `operation` is a fixed name ("calls.create"), never a URL.
 */
export async function timedProviderRequest<T>(provider: Provider, operation: string, request: () => Promise<T>): Promise<T> {
  const end = metrics().providerRequests.startTimer({ provider, operation });
  try {
    const result = await request();
    end({ outcome: "ok" });
    return result;
  } catch (err) {
    end({ outcome: "error" });
    throw err;
  }
}

/** Count a reconciler run's report: each non-zero field is an action (fixed field names, so bounded). */
export function countReconcilerActions(reconciler: "calls" | "transcriptions", report: object): void {
  for (const [action, value] of Object.entries(report)) {
    if (typeof value === "number" && value > 0) metrics().reconcilerActions.inc({ reconciler, action }, value);
  }
}
