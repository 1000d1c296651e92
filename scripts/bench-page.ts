/**
 * `npm run bench:page -- [--calls 10000] [--requests 30] [--analysts 10] [--only <row>] [--base-url http://127.0.0.1:3000] [--database-url postgres://…]`
 *
 * Finding a call among N (10,000 by default; `--calls 1000000` for a million): server response
 * times of the Voice Operations page and of the call list (GET /api/calls) unfiltered, with each
 * filter, with transcript searches (a word in a fifth of the calls, one in a hundred, a rare
 * phrase), a number search and a deep page, in two organizations side by side: Acme Health with N
 * calls and Bench Isolation with 10,000 (what one organization's size costs another). Then ten
 * analysts searching common words at once, in each organization. Plus the gzip JavaScript `/`
 * ships. Two commands:
 *
 *   npm run build && npm start          # the production app and its embedded Postgres (PORT=3200 npm start for another port)
 *   npm run bench:page                  # in a second terminal (--base-url http://127.0.0.1:3200 to match)
 *
 * For a million calls, give the app its own data directory, seeded once and reused:
 *
 *   npm run build && PORT=3310 EMBEDDED_PG_PORT=54710 npm start -- --data-dir .data/bench-1m
 *   npm run bench:page -- --calls 1000000 --base-url http://127.0.0.1:3310
 *
 * It seeds the calls once (scripts/bench-page-seed.ts: transcripts in English and Spanish,
 * translations, scores, scripts, surveys, mixed statuses, flows and dates), in batches of
 * bounded memory; a re-run finds them and adds none, an interrupted one goes on where it stopped.
 * It refreshes the planner's statistics (as autovacuum would), signs in as each organization's
 * owner (everything readable), viewer (the masked-number search) and ten analysts, and sends
 * each request N times one at a time over a keep-alive connection. Prints p50/p95, the calls each
 * request returned and the "about N matches" estimate the list showed. Asserts nothing:
 * tests/integration/call-search.test.ts holds the behaviour.
 */
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import http from "node:http";
import postgres from "postgres";
import { hashPassword } from "@/lib/auth/passwords";
import { DEMO_PASSWORD, DEMO_USERS } from "@/scripts/seed";
import { benchDatabaseUrl, percentile, signInCookie } from "@/scripts/bench-support";
import { DEFAULT_BENCH_CALLS, ISOLATION_ORG, ISOLATION_OWNER, MEDIUM_WORD, RARE_PHRASE, ensureIsolationOrg, seedBenchCalls, type BenchSeed } from "@/scripts/bench-page-seed";
import { scriptUrls } from "@/scripts/page-scripts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: String(DEFAULT_BENCH_CALLS) },
    requests: { type: "string", default: "30" },
    analysts: { type: "string", default: "10" },
    only: { type: "string" },
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    "database-url": { type: "string" },
  },
});
const CALLS = Number(values.calls);
const REQUESTS = Number(values.requests);
const ANALYSTS = Number(values.analysts);
const ISOLATION_CALLS = 10_000;
const BASE = values["base-url"]!.replace(/\/$/, "");
/** Run only the rows whose name contains this (case-insensitive); "analysts" names the concurrent section. */
const ONLY = values.only?.toLowerCase();
const wanted = (name: string) => !ONLY || name.toLowerCase().includes(ONLY);
for (const [name, n] of [["--calls", CALLS], ["--requests", REQUESTS], ["--analysts", ANALYSTS]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive whole number, not ${JSON.stringify(values[name.slice(2) as "calls"])}`);
}
if (ANALYSTS > 100) throw new Error(`--analysts takes at most 100 (each is a signed-in member), not ${ANALYSTS}`);

/** The common words the analysts search (each said in about a fifth of the calls), English and Spanish. */
const COMMON_WORDS = ["refund", "appointment", "order", "insurance", "confirmation", "reembolso", "cita", "subscription"];

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Answer {
  status: number;
  body: string;
  ms: number;
  retryAfter?: string;
}

/**
 * GET over node:http (keep-alive): the status, the body and the milliseconds to the last byte.
 * The member API allows 600 requests a minute per user (lib/auth/user-limit.ts), fewer than a
 * run sends: a 429 waits out its Retry-After and is sent again, and only the answer is timed.
 */
async function get(path: string, headers: Record<string, string>, via = agent): Promise<Answer> {
  for (;;) {
    const res = await getOnce(path, headers, via);
    if (res.status !== 429) return res;
    await new Promise((r) => setTimeout(r, 1000 * Math.max(1, Number(res.retryAfter) || 1)));
  }
}

function getOnce(path: string, headers: Record<string, string>, via: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(`${BASE}${path}`, { agent: via, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => resolve({
        status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - t0, retryAfter: res.headers["retry-after"] as string | undefined,
      }));
      res.once("error", reject);
    });
    req.once("error", reject);
  });
}

interface Org {
  label: string;
  id: string;
  owner: { id: string; email: string };
  viewerEmail: string;
  /** The analysts who search at once: `analyst-<i>@<domain>`. */
  analystDomain: string;
  calls: number;
}

const ORGS: Org[] = [
  {
    label: "Acme Health", id: DEMO_USERS[0]!.org, owner: DEMO_USERS[0]!, viewerEmail: "viewer@acme.test", analystDomain: "acme.bench", calls: CALLS,
  },
  {
    label: ISOLATION_ORG.name, id: ISOLATION_ORG.id, owner: ISOLATION_OWNER, viewerEmail: "viewer@isolation.test", analystDomain: "isolation.bench", calls: ISOLATION_CALLS,
  },
];

/** Bench-only members: the isolation organization's viewer and each organization's analysts. */
async function ensureBenchMembers(db: postgres.Sql, hash: () => Promise<string>): Promise<void> {
  const wanted: { id: string; email: string; org: string; role: "viewer" | "analyst" }[] = [];
  const uuid = (org: number, n: number) => `00000000-0000-4000-8000-0000000d${org}${n.toString(16).padStart(3, "0")}`;
  wanted.push({ id: uuid(1, 0), email: ORGS[1]!.viewerEmail, org: ORGS[1]!.id, role: "viewer" });
  ORGS.forEach((org, o) => {
    for (let i = 1; i <= ANALYSTS; i++) wanted.push({ id: uuid(o, i), email: `analyst-${i}@${org.analystDomain}`, org: org.id, role: "analyst" });
  });
  const have = new Set((await db<{ id: string }[]>`select user_id as id from public.org_members where user_id in ${db(wanted.map((w) => w.id))}`).map((r) => r.id));
  const missing = wanted.filter((w) => !have.has(w.id));
  if (missing.length === 0) return;
  const passwordHash = await hash();
  await db.begin(async (sql) => {
    for (const w of missing) {
      await sql`insert into auth.users (id, email, encrypted_password, email_confirmed_at) values (${w.id}, ${w.email}, ${passwordHash}, now()) on conflict (id) do nothing`;
      await sql`insert into public.org_members (organization_id, user_id, role) values (${w.org}, ${w.id}, ${w.role}) on conflict do nothing`;
    }
  });
}

interface Measured {
  p50: number;
  p95: number;
  calls: string;
  estimate: string;
}

/** One request, warmed twice, then REQUESTS times one at a time. */
async function measure(path: string, headers: Record<string, string>): Promise<Measured> {
  const first = await get(path, headers);
  if (first.status !== 200) throw new Error(`${path} answered ${first.status}: ${first.body.slice(0, 300)}`);
  let calls = "";
  let estimate = "";
  if (path.startsWith("/api/")) {
    const body = JSON.parse(first.body) as { calls: unknown[]; matches?: { about: number; exact: boolean } | null };
    calls = String(body.calls.length);
    // "~" an estimate, "=" an exact count.
    estimate = body.matches ? `${body.matches.exact ? "=" : "~"}${body.matches.about.toLocaleString("en-US")}` : "";
  }
  for (let i = 0; i < 2; i++) await get(path, headers);
  const ms: number[] = [];
  for (let i = 0; i < REQUESTS; i++) ms.push((await get(path, headers)).ms);
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), calls, estimate };
}

/** ANALYSTS analysts at once, each on its own connection, each sending REQUESTS common-word searches one after another. */
async function concurrentAnalysts(org: Org): Promise<{ p50: number; p95: number; requests: number; seconds: number }> {
  const people = await Promise.all(Array.from({ length: ANALYSTS }, async (_, i) => ({
    headers: { cookie: await signInCookie(BASE, `analyst-${i + 1}@${org.analystDomain}`), "x-organization-id": org.id },
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
  })));
  const path = (i: number, k: number) => `/api/calls?limit=50&q=${COMMON_WORDS[(i + k) % COMMON_WORDS.length]}`;
  // Warm each connection once.
  await Promise.all(people.map((p, i) => get(path(i, 0), p.headers, p.agent)));
  const ms: number[] = [];
  const t0 = performance.now();
  await Promise.all(people.map(async (p, i) => {
    for (let k = 0; k < REQUESTS; k++) {
      const res = await get(path(i, k), p.headers, p.agent);
      if (res.status !== 200) throw new Error(`${path(i, k)} answered ${res.status}: ${res.body.slice(0, 300)}`);
      ms.push(res.ms);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  for (const p of people) p.agent.destroy();
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), requests: ms.length, seconds };
}

const fmt = (ms: number) => `${ms.toFixed(1)}`.padStart(7);

async function main(): Promise<void> {
  const health = await fetch(`${BASE}/api/health/ready`).catch(() => null);
  if (!health?.ok) {
    throw new Error(
      `The app is not ready at ${BASE}. In another terminal: \`npm run build && npm start\` ` +
        `(for another port: \`PORT=3200 npm start\`, then \`npm run bench:page -- --base-url http://127.0.0.1:3200\`).`,
    );
  }
  const db = postgres(benchDatabaseUrl(BASE, values["database-url"]), { max: 1, onnotice: () => {}, types: {} });
  let hashed: Promise<string> | undefined;
  const hash = () => (hashed ??= hashPassword(DEMO_PASSWORD));
  await ensureIsolationOrg(db, hash);
  await ensureBenchMembers(db, hash);
  const seeds: BenchSeed[] = [];
  for (const org of ORGS) {
    const started = performance.now();
    let reported = 0;
    const seed = await seedBenchCalls(db, {
      orgId: org.id, userId: org.owner.id, calls: org.calls,
      onProgress: (done) => {
        if (done - reported < 50_000 && done < org.calls) return;
        reported = done;
        process.stdout.write(`  ${org.label}: ${done.toLocaleString("en-US")} of ${org.calls.toLocaleString("en-US")} calls (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
      },
    });
    seeds.push(seed);
    console.log(seed.added > 0
      ? `seeded ${seed.added.toLocaleString("en-US")} calls in ${org.label} in ${((performance.now() - started) / 1000).toFixed(1)} s`
      : `${org.label}: its ${seed.calls.toLocaleString("en-US")} bench calls were already seeded`);
  }
  // Fresh statistics, as autovacuum would give tables that grew; a vacuum after a seed sets the
  // visibility map as autovacuum would (index-only scans).
  if (seeds.some((s) => s.added > 0)) await db`vacuum (analyze) public.calls, public.call_artifacts, public.recordings`;
  else await db`analyze public.calls, public.call_artifacts, public.recordings`;
  const counts = await db<{ org: string; calls: number }[]>`
    select organization_id as org, count(*)::int as calls from public.calls where organization_id in ${db(ORGS.map((o) => o.id))} group by 1`;
  await db.end();
  const total = (org: Org) => counts.find((c) => c.org === org.id)?.calls ?? 0;

  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const columns: { org: Org; seed: BenchSeed; owner: Record<string, string>; viewer: Record<string, string>; deep: string }[] = [];
  for (const [i, org] of ORGS.entries()) {
    const owner = { cookie: await signInCookie(BASE, org.owner.email), "x-organization-id": org.id };
    const viewer = { cookie: await signInCookie(BASE, org.viewerEmail), "x-organization-id": org.id };
    // The cursor after 5,000 rows, walked the way a client pages.
    let deep = "";
    for (let seen = 0; wanted("deep page") && seen < 5000; seen += 200) {
      const res = await get(`/api/calls?limit=200${deep ? `&before=${deep}` : ""}`, owner);
      deep = (JSON.parse(res.body) as { nextBefore: string }).nextBefore;
    }
    columns.push({ org, seed: seeds[i]!, owner, viewer, deep });
  }

  type Case = { name: string; path: (c: (typeof columns)[number]) => string; as?: "viewer" };
  const cases: Case[] = [
    { name: "page  GET /", path: () => "/" },
    { name: "list  unfiltered", path: () => "/api/calls?limit=50" },
    { name: "list  status=failed,busy", path: () => "/api/calls?limit=50&status=failed,busy" },
    { name: "list  status=in_progress", path: () => "/api/calls?limit=50&status=in_progress" },
    { name: "list  status=queued (no call in it)", path: () => "/api/calls?limit=50&status=queued" },
    { name: "list  status=ringing,queued (none)", path: () => "/api/calls?limit=50&status=ringing,queued" },
    { name: "list  flow=bridge", path: () => "/api/calls?limit=50&flow=bridge" },
    { name: "list  from/to (10 days)", path: () => `/api/calls?limit=50&from=${day(70)}&to=${day(60)}` },
    { name: "list  has=recording", path: () => "/api/calls?limit=50&has=recording" },
    { name: "list  has=transcript", path: () => "/api/calls?limit=50&has=transcript" },
    { name: "list  has=translation", path: () => "/api/calls?limit=50&has=translation" },
    { name: "list  scoreMin=90", path: () => "/api/calls?limit=50&scoreMin=90" },
    { name: "list  scoreMin=40&scoreMax=45", path: () => "/api/calls?limit=50&scoreMin=40&scoreMax=45" },
    { name: "list  script=<id>", path: (c) => `/api/calls?limit=50&script=${c.seed.scriptId}` },
    { name: "list  survey=<id>", path: (c) => `/api/calls?limit=50&survey=${c.seed.surveyId}` },
    { name: "list  number=<7 digits>", path: (c) => `/api/calls?limit=50&number=${c.seed.sampleNumber.slice(2, 9)}` },
    { name: "list  number=38 (viewer, masked)", path: () => "/api/calls?limit=50&number=38", as: "viewer" },
    { name: "list  q=refund (a fifth of calls)", path: () => "/api/calls?limit=50&q=refund" },
    { name: "list  q=reembolsos (Spanish)", path: () => "/api/calls?limit=50&q=reembolsos" },
    { name: `list  q=${MEDIUM_WORD} (1 call in 100)`, path: () => `/api/calls?limit=50&q=${MEDIUM_WORD}` },
    { name: "list  q=\"rare phrase\" (1 in 2,000)", path: () => `/api/calls?limit=50&q=${encodeURIComponent(`"${RARE_PHRASE}"`)}` },
    { name: "list  q + status + has + from", path: () => `/api/calls?limit=50&q=appointment&status=completed&has=translation&from=${day(200)}` },
    { name: "list  q=refund, deep page (after 5,000)", path: (c) => `/api/calls?limit=50&q=refund&before=${c.deep}` },
    { name: "list  deep page (after 5,000)", path: (c) => `/api/calls?limit=50&before=${c.deep}` },
  ];

  const head = (org: Org) => `${org.label} (${total(org).toLocaleString("en-US")} calls)`.padEnd(38);
  console.log(`\nbench:page — ${REQUESTS} requests each, one at a time, as each organization's owner unless noted (server time to the last byte, ms)`);
  console.log(`  ${"".padEnd(40)} ${columns.map((c) => head(c.org)).join("  ")}`);
  console.log(`  ${"".padEnd(40)} ${columns.map(() => `${"p50".padStart(7)} ${"p95".padStart(7)} ${"calls".padStart(6)} ${"about".padStart(14)}`.padEnd(38)).join("  ")}`);
  for (const c of cases.filter((x) => wanted(x.name))) {
    const cells: string[] = [];
    for (const col of columns) {
      const m = await measure(c.path(col), c.as === "viewer" ? col.viewer : col.owner);
      cells.push(`${fmt(m.p50)} ${fmt(m.p95)} ${m.calls.padStart(6)} ${m.estimate.padStart(14)}`.padEnd(38));
    }
    console.log(`  ${(c.name + (c.as ? "" : "")).padEnd(40)} ${cells.join("  ")}`);
  }

  console.log(`\n  ${ANALYSTS} analysts at once, each sending ${REQUESTS} searches for common words (${COMMON_WORDS.join(", ")}) one after another:`);
  for (const col of wanted(`${ANALYSTS} analysts at once`) ? columns : []) {
    const r = await concurrentAnalysts(col.org);
    console.log(`  ${head(col.org)} p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms (${r.requests} requests in ${r.seconds.toFixed(1)} s)`);
  }

  // The JavaScript `/` ships on first load, gzip (as npm run bench:page-weight counts it).
  const page = await get("/", { cookie: columns[0]!.owner.cookie! });
  let gzip = 0;
  let raw = 0;
  const urls = scriptUrls(page.body, `${BASE}/`);
  for (const url of urls) {
    const body = Buffer.from(await (await fetch(url, { headers: { cookie: columns[0]!.owner.cookie!, "accept-encoding": "identity" } })).arrayBuffer());
    raw += body.length;
    gzip += gzipSync(body).length;
  }
  console.log(`\n  JavaScript of / on first load: ${(gzip / 1000).toFixed(1)} kB gzip (${urls.length} files, ${(raw / 1000).toFixed(1)} kB raw)`);
  agent.destroy();
}

main().catch((err: unknown) => {
  console.error(`✖ ${(err as Error).message}`);
  agent.destroy();
  process.exitCode = 1;
});
