/**
 * `npm run bench:api -- [--requests 30] [--base-url http://127.0.0.1:3000] [--database-url postgres://…]`
 *
 * Member requests against a running app (`npm start` for figures worth quoting), one at a time,
 * signed in as the demo operator, sending the organization header the page sends: the call list
 * (GET /api/calls), a call's detail (GET /api/calls/:id), the Voice Operations page (GET /),
 * and placing a call (POST /api/calls to the simulator's silent number, which accepts and
 * answers nothing). Prints p50/p95 latency and, per request, the statements and explicit
 * transactions Postgres executed and, when the app counts them, the network round trips the
 * app's driver made. Asserts nothing (tests/integration/member-round-trips.test.ts does).
 *
 * Two numbers, because they differ: STATEMENTS are what Postgres executed (BEGIN and COMMIT
 * included); ROUND TRIPS are the app's waits on the database. postgres.js pipelines the
 * statements issued on one connection in the same tick (`Promise.all([tx`…`, tx`…`])`, or a
 * statement sent without awaiting it, as `withUser` sends its `set_config`): Postgres runs
 * them one after another, but the app waits once. So a call detail is 7 statements in 3
 * round trips: [BEGIN + the request's context], [the call, its timeline, recordings and survey
 * answers], [COMMIT]. Every transaction sends BEGIN with its first statements (lib/db: a
 * reserved connection; postgres.js's `begin` would wait for BEGIN's answer, one trip more).
 * Round trips are counted in the app (start it with VERBATIM_COUNT_ROUND_TRIPS=1: its pool
 * counts statements and per-connection write bursts, lib/db/client.ts, and serves the totals at
 * /__bench/db-counts to 127.0.0.1); without it that column says n/a. A statement's first run
 * on a pooled connection also waits for its description (postgres.js prepares it there), a
 * trip this does not count: the warm-up below prepares them, as a running app's traffic does.
 *
 * How round trips are counted: from Postgres itself, with pg_stat_statements (the embedded
 * server preloads it, as hosted Supabase does; this script creates the extension in schema
 * `extensions` if missing). Before and after each endpoint's run it sums the top-level
 * statement executions in the app's database (BEGIN, COMMIT and `set_config` included: each
 * is a trip) and divides by the number of requests. Why this and not the alternatives:
 * `log_statement` needs log parsing and a server restart to switch on; `pg_stat_database`
 * counts transactions, not statements; a TCP proxy between the app and Postgres would need the
 * app restarted with its DATABASE_URL pointed through it, so the figure would not be the
 * running app's. Caveats, so the figure is read honestly:
 *  - a COMMIT after the transaction ran as another role (`set_config('role', …, true)`) is
 *    not always recorded by pg_stat_statements here, so every BEGIN is taken to cost one
 *    closing trip and the closings it did not record are added (transactions/req is BEGINs);
 *  - statements, not network round trips (see above; the app's own count gives those);
 *  - requests run one at a time, but the in-process job worker polls too: its statements
 *    (graphile_worker's own) are excluded by text, and an idle window of the same length is
 *    measured and reported as background noise;
 *  - placing a call also makes the carrier request (not a database trip), and statements from
 *    jobs it enqueues land in the same window if they run at once.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { benchDatabaseUrl, percentile, signInCookie } from "@/scripts/bench-support";
import { RESERVED_NUMBERS } from "@/scripts/simulator";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "30" },
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    "database-url": { type: "string" },
    email: { type: "string", default: "operator@acme.test" },
  },
});
const REQUESTS = Number(values.requests);
const BASE = values["base-url"]!.replace(/\/$/, "");
const SILENT = Object.entries(RESERVED_NUMBERS).find(([, s]) => s.kind === "silent")![0];




interface Counts {
  statements: number;
  begins: number;
  ends: number;
}

async function main(): Promise<void> {
  const health = await fetch(`${BASE}/api/health/ready`).catch(() => null);
  if (!health?.ok) throw new Error(`The app is not ready at ${BASE}. Start it with \`npm start\` first.`);
  const db = postgres(benchDatabaseUrl(BASE, values["database-url"]), { max: 1, onnotice: () => {}, types: {} });
  let counting = true;
  try {
    await db`create schema if not exists extensions`;
    await db`create extension if not exists pg_stat_statements with schema extensions`;
    await db`select count(*) from extensions.pg_stat_statements`;
  } catch (err) {
    counting = false;
    console.log(`round trips: not counted (${(err as Error).message}). Restart \`npm start\` so Postgres loads pg_stat_statements.`);
  }

  // Our own snapshot queries name pg_stat_statements and are excluded with the worker's.
  const snapshot = async (): Promise<Counts> => {
    if (!counting) return { statements: NaN, begins: NaN, ends: NaN };
    const [row] = await db<{ statements: string; begins: string; ends: string }[]>`
      select coalesce(sum(calls), 0)::text as statements,
             coalesce(sum(calls) filter (where query ilike 'begin%'), 0)::text as begins,
             coalesce(sum(calls) filter (where query ilike 'commit%' or query ilike 'rollback%'), 0)::text as ends
      from extensions.pg_stat_statements
      where toplevel and dbid = (select oid from pg_database where datname = current_database())
        and query not ilike '%pg_stat_statements%'
        and query not ilike '%graphile_worker%'
        and query not ilike 'listen %' and query not ilike 'unlisten %'`;
    return { statements: Number(row!.statements), begins: Number(row!.begins), ends: Number(row!.ends) };
  };

  // The app's own count of round trips, when it keeps one (VERBATIM_COUNT_ROUND_TRIPS=1).
  const appCounts = async (): Promise<{ statements: number; roundTrips: number } | null> => {
    const res = await fetch(`${BASE}/__bench/db-counts`).catch(() => null);
    if (!res?.ok || !res.headers.get("content-type")?.includes("application/json")) {
      await res?.arrayBuffer();
      return null;
    }
    return (await res.json()) as { statements: number; roundTrips: number };
  };
  if (!(await appCounts())) console.log("network round trips: not counted (start the app with VERBATIM_COUNT_ROUND_TRIPS=1).");

  const cookie = await signInCookie(BASE, values.email);
  const me = (await (await fetch(`${BASE}/api/me`, { headers: { cookie } })).json()) as { activeOrgId: string | null };
  if (!me.activeOrgId) throw new Error("the demo operator has no active organization");
  const headers = { cookie, "x-organization-id": me.activeOrgId };

  // A call to read, placed the way the bench places them.
  const placeOne = async () => {
    const res = await fetch(`${BASE}/api/calls`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ to: SILENT, record: false }),
    });
    if (res.status !== 201) throw new Error(`placing a call failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { call: { id: string } }).call.id;
  };
  const callId = await placeOne();

  const endpoints: { name: string; run: () => Promise<void> }[] = [
    { name: "call list    GET /api/calls", run: async () => void (await ok(fetch(`${BASE}/api/calls?limit=50`, { headers }))) },
    { name: "call detail  GET /api/calls/:id", run: async () => void (await ok(fetch(`${BASE}/api/calls/${callId}`, { headers }))) },
    { name: "page         GET /", run: async () => void (await ok(fetch(`${BASE}/`, { headers: { cookie }, redirect: "manual" }))) },
    { name: "place a call POST /api/calls", run: async () => void (await placeOne()) },
  ];

  // Warm up each endpoint (first renders compile nothing in production, but fill caches).
  for (const e of endpoints) for (let i = 0; i < 3; i++) await e.run();

  console.log(`\nAPI benchmark: ${REQUESTS} requests per endpoint, one at a time, as ${values.email}`);
  console.log(
    `  ${"".padEnd(34)} ${"p50".padStart(9)} ${"p95".padStart(9)} ${"statements/req".padStart(15)} ${"transactions/req".padStart(17)}` +
      ` ${"round trips/req".padStart(16)} ${"(app stmts/req)".padStart(16)}`,
  );
  let measuredSeconds = 0;
  for (const e of endpoints) {
    const latencies: number[] = [];
    const before = await snapshot();
    const appBefore = await appCounts();
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      await e.run();
      latencies.push(performance.now() - t0);
    }
    measuredSeconds += (performance.now() - started) / 1000;
    const appAfter = await appCounts();
    const after = await snapshot();
    latencies.sort((a, b) => a - b);
    const per = (n: number) => (Number.isNaN(n) ? "n/a" : (n / REQUESTS).toFixed(1));
    const begins = after.begins - before.begins;
    // Each BEGIN is closed by a COMMIT or ROLLBACK trip, which pg_stat_statements does not
    // always record (see the header): count the ones it missed.
    const missedEnds = Math.max(0, begins - (after.ends - before.ends));
    console.log(
      `  ${e.name.padEnd(34)} ${`${percentile(latencies, 50).toFixed(1)} ms`.padStart(9)} ${`${percentile(latencies, 95).toFixed(1)} ms`.padStart(9)}` +
        ` ${per(after.statements - before.statements + missedEnds).padStart(15)} ${per(begins).padStart(17)}` +
        ` ${per(appBefore && appAfter ? appAfter.roundTrips - appBefore.roundTrips : NaN).padStart(16)}` +
        ` ${per(appBefore && appAfter ? appAfter.statements - appBefore.statements : NaN).padStart(16)}`,
    );
  }

  // Background: the same time with no requests at all.
  if (counting) {
    const idleSeconds = Math.min(10, measuredSeconds / endpoints.length);
    const before = await snapshot();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const after = await snapshot();
    console.log(`  background (idle ${idleSeconds.toFixed(1)} s, no requests): ${after.statements - before.statements} statements`);
  }
  await db.end();
}

async function ok(response: Promise<Response>): Promise<Response> {
  const res = await response;
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${res.url} answered ${res.status}`);
  return res;
}

main().catch((err: unknown) => {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
});
