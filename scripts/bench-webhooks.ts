/**
 * `npm run bench:webhooks -- [--calls 200] [--concurrency 16] [--base-url http://127.0.0.1:3000]
 *   [--data-dir .data] [--database-url postgres://…]`
 *
 * Three measurements side by side, in one invocation against a running app (`npm start` for
 * figures worth quoting; benchmarks on a shared 2-core machine are noisy: run it several times):
 *
 *  (a) app    — the status callbacks of N simulated calls through the app's signed webhook
 *               route. The calls are placed through the API to the simulator's silent number
 *               (accepted, nothing sent back); this script then plays the carrier, signing every
 *               callback with the simulated project's signing key exactly as SignalWire would:
 *               initiated, ringing, answered, in-progress, completed, plus one duplicate of
 *               each, in order per call, calls in parallel.
 *  (b) raw    — the same database effect for the same number of callbacks, issued straight to
 *               Postgres through the same driver (postgres.js) at the same concurrency, with a
 *               pool the size of the app's (DATABASE_POOL_MAX, default 10), in ONE statement per
 *               callback: a data-modifying CTE that locks the call row, inserts the event unless
 *               its dedupe key exists, moves the status forward only, and (through the same
 *               triggers the app's writes fire) notifies realtime. One round trip, autocommit.
 *               Calls for it are inserted directly (queued, no sid yet), as placing them is not
 *               what is measured. It runs as the database owner: no `set role` trip.
 *  (c) floor  — `GET /api/health/live` on the same server, the same number of requests at the
 *               same concurrency: what the framework costs for a route that does nothing.
 *
 * Prints each one's throughput and p50/p99 latency, and the ratios app/raw and app/floor
 * (throughput). The database URL defaults to the embedded one `npm start` made for this port.
 *
 * `--metrics-rounds R` (docs/adr/0042) measures what the metrics cost instead: (a) 2R times on
 * fresh calls, rounds with metrics recorded and not in the order on off off on …, on one server
 * started with VERBATIM_METRICS_TOGGLE=1 (which lets this script switch recording on loopback).
 * During every "on" round it scrapes /api/metrics once a second with the metrics token
 * (`<data dir>/metrics-token`, or METRICS_TOKEN), parses each scrape with a Prometheus
 * text-format parser, and reports the acknowledged-webhook counter moving between scrapes;
 * then the median throughput on and off and the cost in %.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { fromProviderStatus } from "@/lib/calls/state-machine";
import { benchDatabaseUrl, httpClient, percentile, signInCookie } from "@/scripts/bench-support";
import { parseScrape, sampleValue } from "@/scripts/metrics-scrape";
import { RESERVED_NUMBERS, signWebhook } from "@/scripts/simulator";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    "data-dir": { type: "string", default: ".data" },
    duplicates: { type: "boolean", default: true },
    "database-url": { type: "string" },
    /** Run only some of the four (app,raw,floor,dispatch), e.g. to profile the server during one. */
    only: { type: "string", default: "app,raw,floor,dispatch" },
    "metrics-rounds": { type: "string", default: "0" },
  },
});
const METRICS_ROUNDS = Number(values["metrics-rounds"]);
const N = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const BASE = values["base-url"]!.replace(/\/$/, "");
const SILENT = Object.entries(RESERVED_NUMBERS).find(([, s]) => s.kind === "silent")![0];
const EVENTS = ["initiated", "ringing", "answered", "in-progress", "completed"];
const COPIES = values.duplicates ? 2 : 1;
const ONLY = new Set(values.only!.split(","));


interface Result {
  name: string;
  requests: number;
  seconds: number;
  latencies: number[];
}



async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const carrier = JSON.parse(await readFile(path.join(values["data-dir"]!, "carrier.json"), "utf8")) as { signingKey: string; url?: string };
  const health = await fetch(`${BASE}/api/health/ready`).catch(() => null);
  if (!health?.ok) throw new Error(`The app is not ready at ${BASE}. Start it with \`npm run dev\` (or \`npm start\`) first.`);
  const cookie = await signInCookie(BASE, "operator@acme.test");

  const rounds = METRICS_ROUNDS > 0 ? 2 * METRICS_ROUNDS : 1;
  console.log(`placing ${N * rounds} calls to the simulator's silent number ${SILENT}…`);
  const callIds: string[] = [];
  await pool(Array.from({ length: N * rounds }, (_, i) => i), 8, async () => {
    const res = await fetch(`${BASE}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ to: SILENT, record: false }),
    });
    if (res.status !== 201) throw new Error(`placing a call failed: ${res.status} ${await res.text()}`);
    callIds.push(((await res.json()) as { call: { id: string } }).call.id);
  });

  // The simulator saw each create; its request URL names our call id, its sid is the CallSid.
  if (!carrier.url) throw new Error("carrier.json has no simulator url: is the app running with the simulated carrier?");
  const seen = (await (await fetch(`${carrier.url}/__control/calls`)).json()) as { sid: string; request: { url?: string } }[];
  const sidOf = new Map(seen.map((c) => [c.request.url?.match(/laml\/([0-9a-f-]{36})/)?.[1], c.sid]));

  const failures = new Map<number, number>();
  const results: Result[] = [];
  const client = httpClient(CONCURRENCY);
  const requests = N * EVENTS.length * COPIES;

  if (METRICS_ROUNDS > 0) {
    await metricsRounds(client, callIds, sidOf, carrier.signingKey, failures);
    client.close();
    if (failures.size > 0) process.exitCode = 1;
    return;
  }

  // (a) the app's webhook route. Every callback is built and signed before the clock starts
  // (signing is the carrier's work, not ours), then sent in order per call, calls in parallel.
  if (ONLY.has("app")) {
    const perCall = signedCallbacks(callIds, sidOf, carrier.signingKey);
    const latencies: number[] = [];
    const started = performance.now();
    await pool(perCall, CONCURRENCY, async (callbacks) => {
      for (const { url, headers, body } of callbacks) {
        for (let copy = 0; copy < COPIES; copy++) {
          const t0 = performance.now();
          const status = await client.send("POST", url, headers, body);
          latencies.push(performance.now() - t0);
          if (status !== 204) failures.set(status, (failures.get(status) ?? 0) + 1);
        }
      }
    });
    results.push({ name: "app", requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies });
  }

  // (b) the same effect, raw, one statement per callback
  if (ONLY.has("raw")) results.push(await rawStatusCallbacks(N));

  // (c) the framework floor: Next's router and the route wrapper around a route that does
  // nothing. Next answers HEAD with the route's GET; the direct dispatch serves only the methods
  // a module exports, so HEAD /api/health/live is Next's.
  if (ONLY.has("floor")) results.push(await trivialRequests(client, "floor", "HEAD", requests, failures));

  // (d) the dispatch floor: the same route through the direct dispatch webhooks use
  // (bin/machine-routes.ts): what HTTP, the adapter and the wrapper cost on their own.
  if (ONLY.has("dispatch")) results.push(await trivialRequests(client, "dispatch", "GET", requests, failures));
  client.close();

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(9);
  const rate = (r: Result) => r.requests / r.seconds;
  console.log(`\nwebhook benchmark: ${N} calls, ${requests} status callbacks (${values.duplicates ? "each delivered twice" : "once each"}), concurrency ${CONCURRENCY}`);
  console.log(`  ${"".padEnd(44)} ${"req/s".padStart(7)} ${"p50".padStart(9)} ${"p99".padStart(9)}`);
  const label: Record<string, string> = {
    app: "(a) app: signed status webhook route",
    raw: "(b) raw: same effect, one statement",
    floor: "(c) floor: HEAD /api/health/live, via Next",
    dispatch: "(d) dispatch floor: GET /api/health/live",
  };
  for (const r of results) {
    const sorted = [...r.latencies].sort((x, y) => x - y);
    console.log(`  ${label[r.name]!.padEnd(44)} ${rate(r).toFixed(0).padStart(7)} ${fmt(percentile(sorted, 50))} ${fmt(percentile(sorted, 99))}`);
  }
  const find = (name: string) => results.find((r) => r.name === name);
  const app = find("app");
  for (const other of ["raw", "floor", "dispatch"]) {
    const r = find(other);
    if (app && r) console.log(`  app/${other.padEnd(8)} throughput ${(rate(app) / rate(r)).toFixed(2)}`);
  }
  console.log(`  non-2xx   ${failures.size === 0 ? "none" : [...failures].map(([s, n]) => `${n}×${s}`).join(", ")}`);
  if (failures.size > 0) process.exitCode = 1;
}

type Callback = { url: string; headers: Record<string, string>; body: string };

/** Each call's status callbacks, signed as the carrier signs them (before any clock starts). */
function signedCallbacks(callIds: string[], sidOf: Map<string | undefined, string>, signingKey: string): Callback[][] {
  return callIds.map((callId) => {
    const sid = sidOf.get(callId);
    if (!sid) throw new Error(`the simulator has no record of call ${callId}`);
    const url = `${BASE}/api/webhooks/signalwire/${callId}/status`;
    return EVENTS.map((status, seq) => {
      const params: Record<string, string> = {
        CallSid: sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api",
        Timestamp: new Date().toUTCString(), ...(status === "completed" ? { CallDuration: "30" } : {}),
      };
      const headers = { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook(signingKey, url, params) };
      return { url, headers, body: new URLSearchParams(params).toString() };
    });
  });
}

/** The metrics' cost: (a) in 2R rounds on fresh calls, metrics on and off in the order on off off on … */
async function metricsRounds(client: ReturnType<typeof httpClient>, callIds: string[], sidOf: Map<string | undefined, string>, signingKey: string, failures: Map<number, number>): Promise<void> {
  const token = process.env.METRICS_TOKEN ?? (await readFile(path.join(values["data-dir"]!, "metrics-token"), "utf8").catch(() => "")).trim();
  if (!token) throw new Error("No metrics token: set METRICS_TOKEN or pass the app's --data-dir (its metrics-token file).");
  const toggle = async (on: boolean) => {
    const res = await fetch(`${BASE}/__bench/metrics?on=${on ? 1 : 0}`);
    if (res.status !== 204) throw new Error(`The app did not switch its metrics (${res.status}): start it with VERBATIM_METRICS_TOGGLE=1.`);
  };
  const scrapeOnce = async () => {
    const res = await fetch(`${BASE}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET /api/metrics answered ${res.status}`);
    return parseScrape(await res.text());
  };
  const acknowledged = (samples: ReturnType<typeof parseScrape>) =>
    sampleValue(samples, "verbatim_webhook_request_duration_seconds_count", { provider: "signalwire", route: "/api/webhooks/signalwire/{callId}/status", outcome: "acknowledged" });

  const rounds = 2 * METRICS_ROUNDS;
  const perRound = callIds.length / rounds;
  const rates: { on: number[]; off: number[] } = { on: [], off: [] };
  const counters: number[] = [];
  let scrapes = 0;
  let series = 0;
  for (let r = 0; r < rounds; r++) {
    const on = r % 4 === 0 || r % 4 === 3;
    await toggle(on);
    const perCall = signedCallbacks(callIds.slice(r * perRound, (r + 1) * perRound), sidOf, signingKey);
    let scraping: NodeJS.Timeout | undefined;
    const pending: Promise<void>[] = [];
    if (on) {
      scraping = setInterval(() => {
        pending.push(scrapeOnce().then((samples) => {
          scrapes += 1;
          series = samples.length;
          counters.push(acknowledged(samples));
        }));
      }, 1000);
    }
    let sent = 0;
    const started = performance.now();
    await pool(perCall, CONCURRENCY, async (callbacks) => {
      for (const { url, headers, body } of callbacks) {
        for (let copy = 0; copy < COPIES; copy++) {
          const status = await client.send("POST", url, headers, body);
          sent += 1;
          if (status !== 204) failures.set(status, (failures.get(status) ?? 0) + 1);
        }
      }
    });
    const rate = sent / ((performance.now() - started) / 1000);
    clearInterval(scraping);
    await Promise.all(pending);
    rates[on ? "on" : "off"].push(rate);
    console.log(`  round ${r + 1}/${rounds}: metrics ${on ? "on " : "off"} ${rate.toFixed(0).padStart(6)} req/s (${sent} callbacks)`);
  }
  await toggle(true);
  const last = await scrapeOnce();
  counters.push(acknowledged(last));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const moving = counters.every((c, i) => i === 0 || c >= counters[i - 1]!) && counters.at(-1)! > counters[0]!;
  console.log(`\nmetrics cost: ${rounds} rounds of ${perRound} calls (${perRound * EVENTS.length * COPIES} callbacks each), concurrency ${CONCURRENCY}`);
  console.log(`  on  (recording, scraped every second): median ${median(rates.on).toFixed(0)} req/s  [${rates.on.map((x) => x.toFixed(0)).join(", ")}]`);
  console.log(`  off (recording nothing):              median ${median(rates.off).toFixed(0)} req/s  [${rates.off.map((x) => x.toFixed(0)).join(", ")}]`);
  console.log(`  cost ${(100 * (1 - median(rates.on) / median(rates.off))).toFixed(1)}% of throughput (on/off ${(median(rates.on) / median(rates.off)).toFixed(3)})`);
  console.log(`  scrapes: ${scrapes + 1}, each parsed by a Prometheus text-format parser (${series} samples); acknowledged callbacks counted ${counters[0]} → ${counters.at(-1)}, ${moving ? "moving up between scrapes" : "NOT MOVING"}`);
  console.log(`  non-2xx   ${failures.size === 0 ? "none" : [...failures].map(([s, n]) => `${n}×${s}`).join(", ")}`);
  if (!moving) process.exitCode = 1;
}

async function trivialRequests(client: ReturnType<typeof httpClient>, name: string, method: "GET" | "HEAD", count: number, failures: Map<number, number>): Promise<Result> {
  const latencies: number[] = [];
  const started = performance.now();
  await pool(Array.from({ length: count }, (_, i) => i), CONCURRENCY, async () => {
    const t0 = performance.now();
    const status = await client.send(method, `${BASE}/api/health/live`);
    latencies.push(performance.now() - t0);
    if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
  });
  return { name, requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

/**
 * One status callback as a single statement: lock the call, insert the event unless its dedupe
 * key exists (and the CallSid matches), move the status forward only, set the sid, answered,
 * ended and duration as applyStatusEvent does. The calls_announce / call_events_announce
 * triggers send the realtime notices, exactly as for the app's writes.
 */
const STATUS_CALLBACK_SQL = `
  with locked as (
    select id, organization_id, status, provider_call_sid, answered_at
    from public.calls where id = $1 for update
  ),
  event as (
    insert into public.call_events (organization_id, call_id, kind, dedupe_key, payload, occurred_at)
    select l.organization_id, l.id, 'provider.status', $2, $3::jsonb, coalesce($4::timestamptz, now())
    from locked l
    where l.provider_call_sid is null or l.provider_call_sid = $5
    on conflict (call_id, dedupe_key) do nothing
    returning call_id
  ),
  decided as (
    select l.id, l.organization_id,
           case when coalesce(array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], l.status), 5) = 5 then l.status
                when coalesce(array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], $6::public.call_status), 5)
                   > array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], l.status) then $6::public.call_status
                else l.status end as next,
           coalesce(array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], l.status), 5) < 5 as was_open
    from locked l join event e on e.call_id = l.id
  )
  update public.calls c set
    status = d.next,
    provider_call_sid = coalesce(c.provider_call_sid, $5),
    answered_at = case when $6::public.call_status = 'in_progress'
                       then least(coalesce(c.answered_at, coalesce($4::timestamptz, now())), coalesce($4::timestamptz, now()))
                       else c.answered_at end,
    ended_at = case when d.was_open and coalesce(array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], d.next), 5) = 5
                    then coalesce($4::timestamptz, now()) else c.ended_at end,
    duration_seconds = case when d.was_open and coalesce(array_position('{queued,initiated,ringing,in_progress}'::public.call_status[], d.next), 5) = 5
                            then $7::integer else c.duration_seconds end,
    updated_at = now()
  from decided d
  where c.id = d.id and c.organization_id = d.organization_id`;

async function rawStatusCallbacks(n: number): Promise<Result> {
  const db = postgres(benchDatabaseUrl(BASE, values["database-url"]), { max: Number(process.env.DATABASE_POOL_MAX ?? 10), onnotice: () => {}, types: {} });
  try {
    const [org] = await db<{ orgId: string; userId: string }[]>`
      select organization_id as "orgId", user_id as "userId" from public.org_members m
      join auth.users u on u.id = m.user_id where u.email = 'operator@acme.test' limit 1`;
    if (!org) throw new Error("the demo organization is missing: is this the embedded database `npm start` seeded?");
    const batch = crypto.randomUUID();
    const calls = await db<{ id: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
      select ${org.orgId}, ${org.userId}, 'direct', '+14155550100', ${SILENT}, ${batch} || '-' || g, '{"record": false}'::jsonb, 'base'
      from generate_series(1, ${n}) g
      returning id`;
    const latencies: number[] = [];
    const started = performance.now();
    await pool(calls.map((c) => c.id), CONCURRENCY, async (callId) => {
      const sid = `CAraw${callId.replaceAll("-", "")}`;
      for (const [seq, status] of EVENTS.entries()) {
        const form: Record<string, string> = {
          CallSid: sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api",
          Timestamp: new Date().toUTCString(), ...(status === "completed" ? { CallDuration: "30" } : {}),
        };
        const occurredAt = new Date(form.Timestamp!).toISOString();
        for (let copy = 0; copy < COPIES; copy++) {
          const t0 = performance.now();
          await db.unsafe(STATUS_CALLBACK_SQL, [
            callId, `status:${sid}:${status}:${seq}`, JSON.stringify(form), occurredAt, sid,
            fromProviderStatus(status)!, status === "completed" ? 30 : null,
          ], { prepare: true });
          latencies.push(performance.now() - t0);
        }
      }
    });
    return { name: "raw", requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
});
