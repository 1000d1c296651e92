/**
 * A storm of calls against a running `npm run cluster`, and the checks that say the instances and
 * workers agreed (docs/adr/0031):
 *
 *   tsx --conditions=react-server scripts/cluster-storm.ts --data-dir .data [--calls 2000] [--concurrency 32] [--json]
 *
 * 1. Makes four organizations of its own (base plan, recording off) with three operators each
 *    (lib/auth/local.ts's createLocalUser), and signs each operator in on one instance (the
 *    session works on every instance).
 * 2. Places the calls through the API to the carrier simulator's silent number (accepted, nothing
 *    sent back), spread over the instances and operators; every 20th is sent twice at once, with
 *    one Idempotency-Key, to two instances: both must answer with one call, dialled once.
 * 3. Plays the carrier: for each call a story (completed, busy, no answer, failed or canceled),
 *    each callback signed with the SDK's own signature function for PUBLIC_BASE_URL (the
 *    balancer) and delivered 1–3 times, the whole call's deliveries shuffled and sent two at a
 *    time to instances chosen at random, so duplicates race each other on different instances
 *    and late callbacks arrive after the final one.
 * 4. Waits until every call is sealed and no seal job is left, then checks: each call shows what
 *    the carrier said (status, sid, duration, answered or not, each distinct callback once on its
 *    timeline); each call's seal_call job (key `seal_call:<call id>`) ran exactly once, in one
 *    worker (the workers' "job run" lines, LOG_LEVEL=debug); each call has one manifest version;
 *    each organization's log is gap-free and verifies (lib/evidence-sealing/verify-log.ts); every
 *    instance serves the same evidence keys and TSA certificate.
 *
 * Prints the figures (or, with --json, one line `{"storm": …}`); exits 1 if any check fails.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createLocalUser } from "@/lib/auth/local";
import { fromProviderStatus } from "@/lib/calls/state-machine";
import { httpClient, percentile } from "@/scripts/bench-support";
import type { ClusterInfo, StormReport } from "@/scripts/cluster-client";
import { RESERVED_NUMBERS, signWebhook } from "@/scripts/simulator";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: ".data" },
    calls: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    json: { type: "boolean", default: false },
    "seal-timeout": { type: "string", default: "900" },
  },
});

const N = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const ORGS = 4;
const OPERATORS_PER_ORG = 3;
const PASSWORD = "storm-operator-password";
const SILENT = Object.entries(RESERVED_NUMBERS).find(([, s]) => s.kind === "silent")![0];
const say = (line: string) => {
  if (!values.json) console.log(line);
};

// Deterministic per run, so a failing storm can be replayed.
let seed = Number(process.env.STORM_SEED ?? Date.now() % 2 ** 31);
const initialSeed = seed;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
}
const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function pool<T>(items: T[], size: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  }));
}

interface Operator {
  orgId: string;
  email: string;
  cookie: string;
}

type Story = "completed" | "busy" | "no-answer" | "failed" | "canceled";
const STORIES: Record<Story, string[]> = {
  completed: ["initiated", "ringing", "answered", "in-progress", "completed"],
  busy: ["initiated", "ringing", "busy"],
  "no-answer": ["initiated", "ringing", "no-answer"],
  failed: ["initiated", "failed"],
  canceled: ["initiated", "ringing", "canceled"],
};
const STORY_MIX: Story[] = ["completed", "completed", "completed", "completed", "completed", "completed", "busy", "no-answer", "failed", "canceled"];

interface PlacedCall {
  id: string;
  orgId: string;
  sid: string;
  story: Story;
  duration: number;
}

async function main(): Promise<void> {
  const dataDir = path.resolve(values["data-dir"]!);
  const cluster = JSON.parse(await readFile(path.join(dataDir, "cluster.json"), "utf8")) as ClusterInfo;
  if (!cluster.carrier) throw new Error("The cluster runs without the carrier simulator (SIGNALWIRE_PROJECT_ID is set): the storm plays the simulated carrier only.");
  // The storm reads the database and the evidence directories as the apps do.
  Object.assign(process.env, cluster.env, { LOG_LEVEL: "warn" });
  const instances = cluster.apps.map((a) => ({ name: a.name, url: a.url }));
  const db = postgres(cluster.databaseUrl, { max: 4, onnotice: () => {}, types: {} });
  const problems: string[] = [];
  try {
    const operators = await setUp(db, instances);
    say(`storm ${initialSeed}: ${N} calls from ${ORGS} organizations over ${instances.length} instances (${instances.map((i) => i.url).join(", ")})`);

    // --- placing the calls
    const placedPer: Record<string, number> = Object.fromEntries(instances.map((i) => [i.name, 0]));
    const ids: string[] = new Array(N);
    const orgOf: string[] = new Array(N);
    let repeats = 0;
    let repeatMismatches = 0;
    const before = await carrierCalls(cluster);
    const placing = performance.now();
    await pool(Array.from({ length: N }, (_, i) => i), 16, async (i) => {
      const operator = operators[i % operators.length]!;
      const key = crypto.randomUUID();
      const first = instances[i % instances.length]!;
      const place = async (instance: { name: string; url: string }) => {
        const res = await fetch(`${instance.url}/api/calls`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie: operator.cookie, "idempotency-key": key },
          body: JSON.stringify({ to: SILENT, record: false }),
        });
        if (res.status !== 201 && res.status !== 200) throw new Error(`placing a call on ${instance.name} failed: ${res.status} ${await res.text()}`);
        placedPer[instance.name]! += 1;
        return ((await res.json()) as { call: { id: string } }).call.id;
      };
      if (i % 20 === 0 && instances.length > 1) {
        repeats += 1;
        const [a, b] = await Promise.all([place(first), place(instances[(i + 1) % instances.length]!)]);
        if (a !== b) repeatMismatches += 1;
        ids[i] = a;
      } else {
        ids[i] = await place(first);
      }
      orgOf[i] = operator.orgId;
    });
    const placingSeconds = (performance.now() - placing) / 1000;
    const created = (await carrierCalls(cluster)).filter((c) => !before.has(c.sid));
    const sidOf = new Map(created.map((c) => [c.request.url?.match(/laml\/([0-9a-f-]{36})/)?.[1], c.sid]));
    const carrierCreates = created.filter((c) => ids.includes(c.request.url?.match(/laml\/([0-9a-f-]{36})/)?.[1] ?? "")).length;
    if (repeatMismatches > 0) problems.push(`${repeatMismatches} repeated placements answered with another call`);
    if (carrierCreates !== N) problems.push(`the carrier was asked to dial ${carrierCreates} times for ${N} calls`);
    say(`placed ${N} calls in ${placingSeconds.toFixed(1)} s (${(N / placingSeconds).toFixed(0)}/s; ${repeats} sent twice at once to two instances; the carrier dialled ${carrierCreates})`);

    // --- the carrier's callbacks
    const calls: PlacedCall[] = ids.map((id, i) => {
      const sid = sidOf.get(id);
      if (!sid) throw new Error(`the carrier has no record of call ${id}`);
      return { id, orgId: orgOf[i]!, sid, story: pick(STORY_MIX), duration: 5 + Math.floor(random() * 300) };
    });
    const started = Date.parse("2026-12-01T10:00:00Z");
    let distinct = 0;
    let outOfOrder = 0;
    const perCall = calls.map((call) => {
      const statuses = STORIES[call.story];
      distinct += statuses.length;
      const url = `/api/webhooks/signalwire/${call.id}/status`;
      const callbacks = statuses.map((status, seq) => {
        const params: Record<string, string> = {
          CallSid: call.sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api",
          Timestamp: new Date(started + seq * 2000).toUTCString(), ...(seq === statuses.length - 1 && status === "completed" ? { CallDuration: String(call.duration) } : {}),
        };
        const body = new URLSearchParams(params).toString();
        const headers = { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook(cluster.carrier!.signingKey, `${cluster.publicBaseUrl}${url}`, params) };
        return { seq, url, body, headers };
      });
      // Every callback at least once, some twice or three times (the carrier retries), in any order.
      const deliveries = shuffle(callbacks.flatMap((c) => Array.from({ length: 1 + (random() < 0.5 ? 1 : 0) + (random() < 0.1 ? 1 : 0) }, () => ({ ...c, to: pick(instances) }))));
      if (deliveries.some((d, i) => i > 0 && d.seq < deliveries[i - 1]!.seq)) outOfOrder += 1;
      return deliveries;
    });
    const deliveries = perCall.reduce((n, d) => n + d.length, 0);
    const client = httpClient(CONCURRENCY * 2);
    const latencies: number[] = [];
    const non2xx: Record<string, number> = {};
    const deliveredPer: Record<string, number> = Object.fromEntries(instances.map((i) => [i.name, 0]));
    const storming = performance.now();
    await pool(perCall, CONCURRENCY, async (list) => {
      // Two deliveries of a call in flight at once: duplicates race each other on two instances.
      await pool(list, 2, async (d) => {
        const t0 = performance.now();
        const status = await sendRetryingReset(() => client.send("POST", `${d.to.url}${d.url}`, d.headers, d.body));
        latencies.push(performance.now() - t0);
        deliveredPer[d.to.name]! += 1;
        if (status !== 204) non2xx[status] = (non2xx[status] ?? 0) + 1;
      });
    });
    const stormSeconds = (performance.now() - storming) / 1000;
    const lastCallback = performance.now();
    client.close();
    latencies.sort((a, b) => a - b);
    if (Object.keys(non2xx).length > 0) problems.push(`callbacks answered other than 204: ${JSON.stringify(non2xx)}`);
    say(`delivered ${deliveries} callbacks (${distinct} distinct, ${deliveries - distinct} duplicates; ${outOfOrder} calls out of order; ${resets} sent again after a reset connection) in ${stormSeconds.toFixed(1)} s: ${(deliveries / stormSeconds).toFixed(0)}/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ${Object.entries(deliveredPer).map(([n, c]) => `${n} ${c}`).join(", ")}`);

    // --- what the calls show
    const rows = await db<{ id: string; status: string; sid: string | null; duration: number | null; answered: boolean; ended: boolean; events: number }[]>`
      select c.id, c.status::text as status, c.provider_call_sid as sid, c.duration_seconds as duration,
             c.answered_at is not null as answered, c.ended_at is not null as ended,
             (select count(*)::int from public.call_events e where e.call_id = c.id and e.kind = 'provider.status') as events
      from public.calls c where c.id = any(${ids}::uuid[])`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const samples: StormReport["mismatchSamples"] = [];
    let mismatches = 0;
    for (const call of calls) {
      const row = byId.get(call.id);
      const statuses = STORIES[call.story];
      const expected = {
        status: fromProviderStatus(statuses.at(-1)),
        sid: call.sid,
        duration: call.story === "completed" ? call.duration : null,
        answered: call.story === "completed",
        ended: true,
        events: statuses.length,
      };
      let wrong = !row;
      for (const [field, value] of Object.entries(expected)) {
        const actual = row?.[field as keyof typeof row];
        if (actual !== value) {
          wrong = true;
          if (samples.length < 20) samples.push({ callId: call.id, field, carrier: value, call: actual });
        }
      }
      if (wrong) mismatches += 1;
    }
    if (mismatches > 0) problems.push(`${mismatches} calls do not show what the carrier said`);
    say(`mismatches between what the carrier said and what the calls show: ${mismatches}`);

    // --- sealing, once per call
    const deadline = Date.now() + Number(values["seal-timeout"]) * 1000;
    const keys = calls.map((c) => `seal_call:${c.id}`);
    let sealed = 0;
    let waiting = 0;
    for (;;) {
      const [state] = await db<{ sealed: number; waiting: number }[]>`
        select (select count(distinct call_id)::int from public.evidence_manifests where call_id = any(${ids}::uuid[])) as sealed,
               (select count(*)::int from graphile_worker.jobs where key = any(${keys}::text[])) as waiting`;
      ({ sealed, waiting } = state!);
      if ((sealed === N && waiting === 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const sealSeconds = (performance.now() - lastCallback) / 1000;
    const [versions] = await db<{ one: number }[]>`
      select count(*)::int as one from (select call_id from public.evidence_manifests where call_id = any(${ids}::uuid[]) group by call_id having count(*) = 1) v`;
    if (sealed !== N) problems.push(`${N - sealed} calls were not sealed within ${values["seal-timeout"]} s (${waiting} seal jobs still waiting)`);
    if (versions!.one !== N) problems.push(`${N - versions!.one} calls have other than one manifest version`);
    say(`sealed ${sealed} calls ${sealSeconds.toFixed(1)} s after the last callback; ${versions!.one} with exactly one manifest version`);

    // --- every job once: the workers' own account ("job run", one line per run)
    const runs = await jobRuns(cluster, new Set(keys), N);
    const perKey = new Map<string, number>();
    const perJob = new Map<string, number>();
    const perWorker: Record<string, number> = Object.fromEntries(cluster.workers.map((w) => [w.name, 0]));
    let failedRuns = 0;
    for (const run of runs) {
      perKey.set(run.jobKey, (perKey.get(run.jobKey) ?? 0) + 1);
      perJob.set(run.jobId, (perJob.get(run.jobId) ?? 0) + 1);
      perWorker[run.worker]! += 1;
      if (!run.ok) failedRuns += 1;
    }
    const jobs = {
      sealRuns: runs.length,
      keysRunOnce: keys.filter((k) => perKey.get(k) === 1).length,
      keysNotRun: keys.filter((k) => !perKey.has(k)).length,
      keysRunMoreThanOnce: keys.filter((k) => (perKey.get(k) ?? 0) > 1).length,
      jobIdsRunMoreThanOnce: [...perJob.values()].filter((n) => n > 1).length,
      perWorker,
      failedRuns,
    };
    if (jobs.keysRunOnce !== N) problems.push(`seal_call ran other than once for ${N - jobs.keysRunOnce} calls (${jobs.keysNotRun} never, ${jobs.keysRunMoreThanOnce} more than once)`);
    if (jobs.jobIdsRunMoreThanOnce > 0) problems.push(`${jobs.jobIdsRunMoreThanOnce} jobs ran more than once`);
    if (failedRuns > 0) problems.push(`${failedRuns} seal_call runs failed`);
    say(`seal_call runs: ${runs.length} for ${N} calls (${jobs.keysRunOnce} once, ${jobs.keysRunMoreThanOnce} more than once, ${jobs.keysNotRun} never); ${Object.entries(perWorker).map(([w, n]) => `${w} ${n}`).join(", ")}`);

    // --- each organization's log, whole, and the evidence keys every instance serves
    const { verifyOrganizationLog } = await import("@/lib/evidence-sealing/verify-log");
    const verifying = performance.now();
    const orgIds = [...new Set(operators.map((o) => o.orgId))];
    const logs: StormReport["logs"] = [];
    for (const orgId of orgIds) {
      const report = await verifyOrganizationLog(orgId);
      const expected = calls.filter((c) => c.orgId === orgId).length;
      logs.push({ organizationId: orgId, leaves: report.leaves, heads: report.heads, ok: report.ok, failures: report.failures.slice(0, 5).map((f) => f.message) });
      if (!report.ok) problems.push(`the log of organization ${orgId} does not verify: ${report.failures[0]?.message}`);
      if (report.leaves !== expected) problems.push(`the log of organization ${orgId} has ${report.leaves} leaves for ${expected} sealed calls`);
    }
    const verifySeconds = (performance.now() - verifying) / 1000;
    say(`logs: ${logs.map((l) => `${l.leaves} leaves, ${l.heads} heads, ${l.ok ? "verified" : "FAILED"}`).join("; ")} (${verifySeconds.toFixed(1)} s)`);
    const jwks = await Promise.all(instances.map(async (i) => (await fetch(`${i.url}/api/evidence/jwks`)).text()));
    const tsa = await Promise.all(instances.map(async (i) => (await fetch(`${i.url}/api/evidence/tsa`)).text()));
    const evidenceKeys = { instances: instances.length, sameKeys: new Set(jwks).size === 1, sameTsa: new Set(tsa).size === 1 };
    if (!evidenceKeys.sameKeys || !evidenceKeys.sameTsa) problems.push("the instances serve different evidence keys or TSA certificates");

    const report: StormReport = {
      ok: problems.length === 0,
      calls: N,
      organizations: orgIds.length,
      placement: { seconds: placingSeconds, perSecond: N / placingSeconds, perInstance: placedPer, repeats, repeatMismatches, carrierCreates },
      callbacks: {
        distinct,
        deliveries,
        duplicates: deliveries - distinct,
        outOfOrder,
        perInstance: deliveredPer,
        seconds: stormSeconds,
        perSecond: deliveries / stormSeconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        non2xx,
        resets,
      },
      mismatches,
      mismatchSamples: samples,
      sealing: { secondsAfterLastCallback: sealSeconds, callsSealed: sealed, callsWithOneVersion: versions!.one },
      jobs,
      logs,
      verifySeconds,
      evidenceKeys,
      problems,
    };
    if (values.json) console.log(JSON.stringify({ storm: report }));
    else say(problems.length === 0 ? "\n✔ every check passed" : `\n✖ ${problems.join("\n✖ ")}`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await db.end();
    const { closeDb } = await import("@/lib/db/client");
    await closeDb();
  }
}

/** The storm's organizations and operators, straight into the database (as the demo seed does), each signed in. */
async function setUp(db: postgres.Sql, instances: { name: string; url: string }[]): Promise<Operator[]> {
  const run = crypto.randomUUID().slice(0, 8);
  const operators: Operator[] = [];
  for (let o = 0; o < ORGS; o++) {
    const [org] = await db<{ id: string }[]>`insert into public.organizations (name, plan) values (${`Storm ${run} ${o + 1}`}, 'base') returning id`;
    await db`insert into public.voice_configs (organization_id, record) values (${org!.id}, false)`;
    for (let u = 0; u < OPERATORS_PER_ORG; u++) {
      const email = `operator-${u + 1}.org-${o + 1}.${run}@storm.test`;
      const user = await createLocalUser(email, PASSWORD);
      await db`insert into public.org_members (organization_id, user_id, role) values (${org!.id}, ${user.id}, 'operator')`;
      operators.push({ orgId: org!.id, email, cookie: "" });
    }
  }
  await Promise.all(operators.map(async (operator, i) => {
    const instance = instances[i % instances.length]!;
    const res = await fetch(`${instance.url}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: operator.email, password: PASSWORD }),
    });
    if (!res.ok) throw new Error(`signing ${operator.email} in on ${instance.name} failed: ${res.status} ${await res.text()}`);
    operator.cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  }));
  return operators;
}

async function carrierCalls(cluster: ClusterInfo): Promise<Array<{ sid: string; request: { url?: string } }> & { has(sid: string): boolean }> {
  const seen = (await (await fetch(`${cluster.carrier!.url}/__control/calls`)).json()) as { sid: string; request: { url?: string } }[];
  const sids = new Set(seen.map((c) => c.sid));
  return Object.assign(seen, { has: (sid: string) => sids.has(sid) });
}

let resets = 0;

/**
 * A kept-alive socket the server closed as idle just as a request went out on it fails with
 * ECONNRESET before the server read anything; the carrier sends again, and so does the storm
 * (a callback repeated is what the storm is made of anyway).
 */
async function sendRetryingReset(send: () => Promise<number>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= 3 || (err as NodeJS.ErrnoException).code !== "ECONNRESET") throw err;
      resets += 1;
    }
  }
}

interface JobRun {
  jobId: string;
  jobKey: string;
  worker: string;
  ok: boolean;
}

/** The workers' "job run" lines for these keys; read until every key has one or 15 s pass (logs are written asynchronously). */
async function jobRuns(cluster: ClusterInfo, keys: Set<string>, expected: number): Promise<JobRun[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const runs: JobRun[] = [];
    for (const worker of cluster.workers) {
      const text = await readFile(worker.log, "utf8");
      for (const line of text.split("\n")) {
        if (!line.includes('"job run"')) continue;
        const entry = JSON.parse(line) as { jobId: string | number; jobKey: string | null; ok: boolean };
        if (entry.jobKey && keys.has(entry.jobKey)) runs.push({ jobId: String(entry.jobId), jobKey: entry.jobKey, worker: worker.name, ok: entry.ok });
      }
    }
    if (new Set(runs.map((r) => r.jobKey)).size >= expected || Date.now() > deadline) return runs;
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().catch((err: unknown) => {
  console.error(`✖ ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
