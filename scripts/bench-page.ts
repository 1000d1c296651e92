/**
 * `npm run bench:page -- [--requests 30] [--base-url http://127.0.0.1:3000] [--database-url postgres://…]`
 *
 * Finding a call among 10,000: server response times of the Voice Operations page and of the
 * call list (GET /api/calls) unfiltered, with each filter, with a transcript search, a number
 * search and a deep page, plus the gzip JavaScript `/` ships. Two commands:
 *
 *   npm run build && npm start          # the production app and its embedded Postgres (PORT=3200 npm start for another port)
 *   npm run bench:page                  # in a second terminal (--base-url http://127.0.0.1:3200 to match)
 *
 * It seeds the demo organization Acme Health with 10,000 calls once (scripts/bench-page-seed.ts:
 * transcripts in English and Spanish, translations, scores, scripts, surveys, mixed statuses,
 * flows and dates; a re-run finds them and adds none), refreshes the planner's statistics, signs
 * in as the demo owner (everything readable) and the demo viewer (the masked-number search), and
 * sends each request N times one at a time over a keep-alive connection. Prints p50/p95 and
 * the number of calls each request returned. Asserts nothing: tests/integration/call-search.test.ts
 * holds the behaviour.
 */
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import http from "node:http";
import postgres from "postgres";
import { DEMO_USERS } from "@/scripts/seed";
import { benchDatabaseUrl, percentile, signInCookie } from "@/scripts/bench-support";
import { BENCH_CALLS, RARE_PHRASE, seedBenchCalls } from "@/scripts/bench-page-seed";
import { scriptUrls } from "@/scripts/page-scripts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "30" },
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    "database-url": { type: "string" },
  },
});
const REQUESTS = Number(values.requests);
const BASE = values["base-url"]!.replace(/\/$/, "");

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * GET over node:http (keep-alive): the status, the body and the milliseconds to the last byte.
 * The member API allows 600 requests a minute per user (lib/auth/user-limit.ts), fewer than a
 * run sends: a 429 waits out its Retry-After and is sent again, and only the answer is timed.
 */
async function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; ms: number }> {
  for (;;) {
    const res = await getOnce(path, headers);
    if (res.status !== 429) return res;
    await new Promise((r) => setTimeout(r, 1000 * Math.max(1, Number(res.retryAfter) || 1)));
  }
}

function getOnce(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; ms: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(`${BASE}${path}`, { agent, headers }, (res) => {
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

async function main(): Promise<void> {
  const health = await fetch(`${BASE}/api/health/ready`).catch(() => null);
  if (!health?.ok) {
    throw new Error(
      `The app is not ready at ${BASE}. In another terminal: \`npm run build && npm start\` ` +
        `(for another port: \`PORT=3200 npm start\`, then \`npm run bench:page -- --base-url http://127.0.0.1:3200\`).`,
    );
  }
  const owner = DEMO_USERS.find((u) => u.email === "owner@acme.test")!;
  const db = postgres(benchDatabaseUrl(BASE, values["database-url"]), { max: 1, onnotice: () => {}, types: {} });
  const seedStarted = performance.now();
  const seed = await seedBenchCalls(db, { orgId: owner.org, userId: owner.id });
  // Fresh statistics, as autovacuum would give a table that grew by 10,000 rows.
  await db`analyze public.calls, public.call_artifacts, public.recordings`;
  const [{ calls } = { calls: "?" }] = await db<{ calls: string }[]>`select count(*)::text as calls from public.calls where organization_id = ${owner.org}`;
  await db.end();
  console.log(`${seed.seeded ? `seeded ${BENCH_CALLS} calls in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s` : "bench calls already seeded"}; Acme Health has ${calls} calls`);

  const ownerHeaders = { cookie: await signInCookie(BASE, "owner@acme.test"), "x-organization-id": owner.org };
  const viewerHeaders = { cookie: await signInCookie(BASE, "viewer@acme.test"), "x-organization-id": owner.org };

  // The cursor after 5,000 rows, walked the way a client pages.
  let deep = "";
  for (let seen = 0; seen < 5000; seen += 200) {
    const res = await get(`/api/calls?limit=200${deep ? `&before=${deep}` : ""}`, ownerHeaders);
    deep = (JSON.parse(res.body) as { nextBefore: string }).nextBefore;
  }
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const digits = seed.sampleNumber.slice(2, 9);

  const cases: { name: string; path: string; headers?: Record<string, string> }[] = [
    { name: "page  GET /", path: "/" },
    { name: "list  unfiltered", path: "/api/calls?limit=50" },
    { name: "list  status=failed,busy", path: "/api/calls?limit=50&status=failed,busy" },
    { name: "list  status=in_progress", path: "/api/calls?limit=50&status=in_progress" },
    { name: "list  flow=bridge", path: "/api/calls?limit=50&flow=bridge" },
    { name: "list  from/to (10 days)", path: `/api/calls?limit=50&from=${day(70)}&to=${day(60)}` },
    { name: "list  has=recording", path: "/api/calls?limit=50&has=recording" },
    { name: "list  has=transcript", path: "/api/calls?limit=50&has=transcript" },
    { name: "list  has=translation", path: "/api/calls?limit=50&has=translation" },
    { name: "list  scoreMin=90", path: "/api/calls?limit=50&scoreMin=90" },
    { name: "list  scoreMin=40&scoreMax=45", path: "/api/calls?limit=50&scoreMin=40&scoreMax=45" },
    { name: "list  script=<id>", path: `/api/calls?limit=50&script=${seed.scriptId}` },
    { name: "list  survey=<id>", path: `/api/calls?limit=50&survey=${seed.surveyId}` },
    { name: `list  number=${digits}`, path: `/api/calls?limit=50&number=${digits}` },
    { name: "list  number=38 (viewer, masked)", path: "/api/calls?limit=50&number=38", headers: viewerHeaders },
    { name: "list  q=refund (common)", path: "/api/calls?limit=50&q=refund" },
    { name: "list  q=reembolsos (Spanish)", path: "/api/calls?limit=50&q=reembolsos" },
    { name: `list  q="${RARE_PHRASE}" (rare)`, path: `/api/calls?limit=50&q=${encodeURIComponent(`"${RARE_PHRASE}"`)}` },
    { name: "list  q + status + has + from", path: `/api/calls?limit=50&q=appointment&status=completed&has=translation&from=${day(200)}` },
    { name: "list  deep page (after 5,000)", path: `/api/calls?limit=50&before=${deep}` },
  ];

  console.log(`\nbench:page — ${REQUESTS} requests each, one at a time, as owner@acme.test unless noted (server time to the last byte)`);
  console.log(`  ${"".padEnd(44)} ${"p50".padStart(9)} ${"p95".padStart(9)} ${"calls".padStart(6)}`);
  for (const c of cases) {
    const headers = c.headers ?? ownerHeaders;
    const first = await get(c.path, headers);
    if (first.status !== 200) throw new Error(`${c.path} answered ${first.status}: ${first.body.slice(0, 300)}`);
    const count = c.path.startsWith("/api/") ? String((JSON.parse(first.body) as { calls: unknown[] }).calls.length) : "";
    for (let i = 0; i < 2; i++) await get(c.path, headers);
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS; i++) ms.push((await get(c.path, headers)).ms);
    ms.sort((a, b) => a - b);
    console.log(`  ${c.name.padEnd(44)} ${`${percentile(ms, 50).toFixed(1)} ms`.padStart(9)} ${`${percentile(ms, 95).toFixed(1)} ms`.padStart(9)} ${count.padStart(6)}`);
  }

  // The JavaScript `/` ships on first load, gzip (as npm run bench:page-weight counts it).
  const page = await get("/", { cookie: ownerHeaders.cookie });
  let gzip = 0;
  let raw = 0;
  const urls = scriptUrls(page.body, `${BASE}/`);
  for (const url of urls) {
    const body = Buffer.from(await (await fetch(url, { headers: { cookie: ownerHeaders.cookie, "accept-encoding": "identity" } })).arrayBuffer());
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
