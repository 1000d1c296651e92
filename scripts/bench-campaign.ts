/**
 * `npm run bench:campaign -- [--targets 1000] [--rate 5] [--max-live 20] [--port 3900]
 *   [--pg-port N] [--carrier-port N] [--delay-ms 300] [--data-dir .data/bench-campaign]`
 *
 * Issue 20's first "done when", measured at the carrier. After `npm run build`: starts
 * `npm run cluster -- --restart` (2 apps behind the balancer on --port, 1 worker) on a fresh
 * data directory of its own, with the simulated carrier pausing --delay-ms between a call's
 * events (calls last 1–3 s) and the reconciler asking the carrier about calls silent for 30 s
 * (RECONCILE_AFTER_SECONDS: callbacks sent to the killed app can be lost). Then, as the owner
 * of the demo organization, through the API only:
 *
 *  1. imports the targets from CSV (preview, then commit with its token), all tagged
 *     `bench-campaign`: some marked do-not-call, some in a zone where it is night now (outside
 *     8:00–21:00, and not opening before the campaign ends), some the simulator answers busy,
 *     no-answer or failed (set through its control API), the rest answered;
 *  2. creates a campaign over the tag (--rate calls/s, at most --max-live at once; every day
 *     8:00–21:00; busy 3 × 20 s, no answer 2 × 15 s, failed 2 × 10 s) and launches it;
 *  3. mid-run kills (SIGKILL) one app and the worker, which the orchestrator starts again,
 *     waits for the workers to release the jobs the dead one held locked themselves
 *     (graphile-worker alone would hold them 4 hours; docs/adr/0040) and reports how long that
 *     took after the kill, and later starts a second worker beside it;
 *  4. when the campaign completes, reads the simulator's own dial log (GET /__control/dials:
 *     every create-call request with the instant it arrived and its To, and when each call
 *     ended) and checks it: no 1-second window (any start) holds more than --rate dials, never
 *     more than --max-live live, each target dialled exactly as often as its policy allows (1
 *     answered; busy, no answer, failed: their max attempts) with each retry at least the
 *     backoff after the previous call ended, do-not-call and night targets never, and nobody
 *     dialled twice for one attempt (the dials per number equal the attempts the database
 *     recorded, every carrier sid is one call of the campaign, and one call per attempt key).
 *
 * Prints the figures and exits 1 if a check failed. It asserts nothing about speed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { startClusterProcess, type ClusterInfo } from "@/scripts/cluster-client";
import { signInCookie } from "@/scripts/bench-support";
import type { DialLog, DialRecord } from "@/scripts/simulator";
import { workerArgs } from "@/scripts/stack";

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: "1000" },
    rate: { type: "string", default: "5" },
    "max-live": { type: "string", default: "20" },
    port: { type: "string", default: "3900" },
    "pg-port": { type: "string", default: "55900" },
    "carrier-port": { type: "string", default: "3950" },
    "delay-ms": { type: "string", default: "300" },
    "data-dir": { type: "string", default: ".data/bench-campaign" },
  },
});

const TARGETS = Number(values.targets);
const RATE = Number(values.rate);
const MAX_LIVE = Number(values["max-live"]);
const TAG = "bench-campaign";
const OWNER = "owner@acme.test";
const RETRY = { busy: { maxAttempts: 3, backoffSeconds: 20 }, no_answer: { maxAttempts: 2, backoffSeconds: 15 }, failed: { maxAttempts: 2, backoffSeconds: 10 } } as const;
/** Give up waiting for the campaign to complete after this long. */
const RUN_TIMEOUT_MS = 12 * 60_000;

type Kind = "answered" | "busy" | "no_answer" | "failed" | "dnc" | "night";
const SCENARIO: Partial<Record<Kind, string>> = { busy: "busy", no_answer: "no-answer", failed: "failed" };
const EXPECTED_DIALS: Record<Kind, number> = { answered: 1, busy: RETRY.busy.maxAttempts, no_answer: RETRY.no_answer.maxAttempts, failed: RETRY.failed.maxAttempts, dnc: 0, night: 0 };

interface Target {
  name: string;
  number: string;
  kind: Kind;
  timeZone: string;
}

const ZONES = [
  "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
  "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Tokyo",
  "Australia/Sydney", "Pacific/Auckland",
];

function localMinutes(zone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return get("hour") * 60 + get("minute");
}

/** Zones where it is now well inside 8:00–21:00 (for the whole run), and one where it is night for at least two hours. */
function pickZones(now: Date): { day: string[]; night: string } {
  const day = ZONES.filter((z) => {
    const m = localMinutes(z, now);
    return m >= 8 * 60 + 15 && m <= 20 * 60;
  });
  const night = ZONES.find((z) => {
    const m = localMinutes(z, now);
    return m >= 21 * 60 + 15 || m < 6 * 60;
  });
  if (day.length === 0 || !night) throw new Error(`no zone fits at ${now.toISOString()} (day: ${day.join(", ")}; night: ${night})`);
  return { day: day.slice(0, 3), night };
}

function makeTargets(n: number, zones: { day: string[]; night: string }): Target[] {
  // Out of every 50: 2 do-not-call, 2 at night, 3 busy, 2 no answer, 1 failed, 40 answered.
  const pattern: Kind[] = ["dnc", "dnc", "night", "night", "busy", "busy", "busy", "no_answer", "no_answer", "failed"];
  return Array.from({ length: n }, (_, i) => {
    const kind: Kind = pattern[i % 50] ?? "answered";
    const timeZone = kind === "night" ? zones.night : zones.day[i % zones.day.length]!;
    return { name: `Site ${String(i + 1).padStart(4, "0")} (${kind})`, number: `+1500555${1000 + i}`, kind, timeZone };
  });
}

function csvOf(targets: Target[]): string {
  const rows = targets.map((t) => [t.name, t.number, t.timeZone, `${TAG};${t.kind}`, "", t.kind === "dnc" ? "yes" : "no"].join(","));
  return ["name,number,time_zone,tags,notes,dnc", ...rows].join("\r\n") + "\r\n";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();

async function api<T>(base: string, cookie: string, method: string, url: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { "content-type": contentType }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface Progress {
  state: string;
  targets: Record<string, number>;
  outcomes: Record<string, number>;
  pace: { lastMinute: number; overall: number | null; asked: number };
  remaining: number;
}

async function readCluster(dataDir: string): Promise<ClusterInfo> {
  return JSON.parse(await readFile(path.join(dataDir, "cluster.json"), "utf8")) as ClusterInfo;
}

async function countInLog(file: string, marker: string): Promise<number> {
  return (await readFile(file, "utf8").catch(() => "")).split(marker).length - 1;
}

/** Wait until `check` holds, polling; throws after `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${ms / 1000} s`);
}

/** The most dials in any window of `ms` (any start): a window starting at a dial is as full as any. */
function maxInWindow(times: number[], ms: number): { count: number; at: number | null } {
  let best = { count: 0, at: null as number | null };
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + ms) j++;
    if (j - i > best.count) best = { count: j - i, at: times[i]! };
  }
  return best;
}

async function main(): Promise<void> {
  // One import file holds at most 2,000 rows (IMPORT_MAX_ROWS).
  if (!Number.isInteger(TARGETS) || TARGETS > 2000) throw new Error("--targets must be a whole number of at most 2000 (one CSV import)");
  for (const [name, v] of Object.entries({ targets: TARGETS, rate: RATE, "max-live": MAX_LIVE })) {
    if (!(v > 0)) throw new Error(`--${name} must be positive`);
  }
  const dataDir = path.resolve(values["data-dir"]!);
  const port = Number(values.port);
  console.log(`starting 2 apps and 1 worker on a fresh database (${path.relative(process.cwd(), dataDir)}), the carrier pausing ${values["delay-ms"]} ms between a call's events…`);
  const t0 = performance.now();
  const cluster = await startClusterProcess({
    apps: 2,
    workers: 1,
    port,
    pgPort: Number(values["pg-port"]),
    carrierPort: Number(values["carrier-port"]),
    transcriberPort: 0,
    dataDir,
    fresh: true,
    restart: true,
    // Calls last seconds here, so one silent for 30 s lost its callbacks (the app killed mid-run): the reconciler asks the carrier then, not after 15 minutes.
    env: { LOG_LEVEL: "warn", CARRIER_SIMULATOR_DELAY_MS: values["delay-ms"]!, RECONCILE_AFTER_SECONDS: "30" },
  });
  console.log(`ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${cluster.info.apps.map((a) => a.url).join(", ")} behind ${cluster.info.publicBaseUrl}\n`);
  let added: ChildProcess | undefined;
  let ok = false;
  try {
    ok = await run(cluster.info, dataDir, (child) => (added = child));
  } finally {
    if (added && added.exitCode === null) {
      added.kill("SIGTERM");
      await new Promise((r) => added!.once("exit", r));
    }
    await cluster.stop();
  }
  process.exitCode = ok ? 0 : 1;
}

async function run(info: ClusterInfo, dataDir: string, onAdded: (child: ChildProcess) => void): Promise<boolean> {
  const base = info.publicBaseUrl;
  const carrier = info.carrier?.url;
  if (!carrier) throw new Error("the cluster runs no carrier simulator (is SIGNALWIRE_PROJECT_ID set?)");
  const db = postgres(info.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const now = new Date();
    const zones = pickZones(now);
    const targets = makeTargets(TARGETS, zones);
    const byNumber = new Map(targets.map((t) => [t.number, t]));
    const count = (k: Kind) => targets.filter((t) => t.kind === k).length;
    console.log(`targets: ${TARGETS} (answered ${count("answered")}, busy ${count("busy")}, no answer ${count("no_answer")}, failed ${count("failed")}, do-not-call ${count("dnc")}, night ${count("night")} in ${zones.night} at ${String(Math.floor(localMinutes(zones.night, now) / 60)).padStart(2, "0")}:${String(localMinutes(zones.night, now) % 60).padStart(2, "0")}); day zones ${zones.day.join(", ")}`);

    for (const t of targets) {
      const kind = SCENARIO[t.kind];
      if (!kind) continue;
      const res = await fetch(`${carrier}/__control/scenarios`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: t.number, scenario: { kind } }) });
      if (!res.ok) throw new Error(`the simulator refused a scenario: ${res.status} ${await res.text()}`);
    }

    const cookie = await signInCookie(base, OWNER);
    const csv = csvOf(targets);
    const preview = await api<{ token: string; rows: unknown[]; refused: { row: number; reason: string }[] }>(base, cookie, "POST", "/api/voice/targets/import?mode=preview", csv, "text/csv");
    if (preview.refused.length > 0) throw new Error(`the preview refused ${preview.refused.length} rows, e.g. row ${preview.refused[0]!.row}: ${preview.refused[0]!.reason}`);
    const commit = await api<{ created: number }>(base, cookie, "POST", `/api/voice/targets/import?mode=commit&token=${preview.token}`, csv, "text/csv");
    console.log(`imported ${commit.created} targets through the CSV import (preview ${preview.rows.length} rows, 0 refused, then commit)`);

    const day = { from: "08:00", to: "21:00" };
    const startsAt = new Date();
    const endsAt = new Date(startsAt.getTime() + 45 * 60_000);
    const { campaign } = await api<{ campaign: { id: string } }>(base, cookie, "POST", "/api/campaigns", {
      name: `Bench: ${TARGETS} targets at ${RATE}/s`,
      modulations: { record: false, transcribe: false, translate: false, survey: false, shopperScript: false },
      selection: { tags: [TAG] },
      schedule: { startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), weekly: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day } },
      pace: { dialsPerSecond: RATE, maxLive: MAX_LIVE },
      retry: RETRY,
    });
    const launched = await api<{ targets: Record<string, number> }>(base, cookie, "POST", `/api/campaigns/${campaign.id}/launch`);
    const launchedAt = Date.now();
    console.log(`launched ${campaign.id} at ${iso(launchedAt)}: ${JSON.stringify(launched.targets)}\n`);

    // Mid-run: the first app and the worker killed once a quarter of the dials are made, the second worker added at half.
    const firstPass = targets.filter((t) => t.kind !== "dnc" && t.kind !== "night").length;
    const events: { at: number; what: string }[] = [];
    let killed = false;
    let addedWorker = false;
    let progress: Progress | undefined;
    let lastPrint = 0;
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      progress = await api<{ progress: Progress }>(base, cookie, "GET", `/api/campaigns/${campaign.id}/progress`).then((p) => p.progress, () => progress);
      if (progress && ["completed", "cancelled"].includes(progress.state)) break;
      const dials = progress?.outcomes.dials ?? 0;
      if (Date.now() - lastPrint >= 10_000 && progress) {
        lastPrint = Date.now();
        const sim = (await (await fetch(`${carrier}/__control/dials`)).json()) as DialLog;
        console.log(`  +${((Date.now() - launchedAt) / 1000).toFixed(0).padStart(3)} s  dials ${String(dials).padStart(4)} (carrier ${sim.dials.length}), calling ${progress.targets.calling}, carrier live ${sim.liveNow}, retrying ${progress.targets.retrying}, pending ${progress.targets.pending}, last minute ${progress.pace.lastMinute.toFixed(2)}/s`);
      }
      if (!killed && dials >= firstPass / 4) {
        killed = true;
        const current = await readCluster(dataDir);
        const app = current.apps[0]!;
        const worker = current.workers[0]!;
        const workerStarts = await countInLog(worker.log, "job worker started");
        // What the worker recorded about itself (docs/adr/0040): the pool ids its jobs carry.
        const pools = (await db<{ lockedBy: string }[]>`select locked_by as "lockedBy" from private.worker_processes where pid = ${worker.pid}`).map((r) => r.lockedBy);
        process.kill(worker.pid, "SIGKILL");
        process.kill(app.pid, "SIGKILL");
        const killedAt = Date.now();
        events.push({ at: killedAt, what: `killed ${worker.name} (pid ${worker.pid}) and ${app.name} (pid ${app.pid}) with SIGKILL at ${dials} dials` });
        console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        // graphile-worker alone would leave the jobs it held locked for 4 hours (the tick, an
        // outcome job: its target would stay "calling"). The workers release them themselves
        // (release_dead_workers, when a worker starts and every minute): wait for it, and say how long it took.
        const held = await db<{ task: string }[]>`select task_identifier as task from graphile_worker.jobs where locked_by = any(${pools}::text[])`;
        events.push({ at: Date.now(), what: `${worker.name} held ${held.length} jobs when it died (${held.map((j) => j.task).join(", ") || "none"}), ${pools.length} pool${pools.length === 1 ? "" : "s"} recorded` });
        console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        void (async () => {
          if (pools.length === 0) throw new Error(`${worker.name} had recorded no worker pool: its jobs cannot be released`);
          await until(`the release of ${worker.name}'s jobs`, 3 * 60_000, async () => {
            const [left] = await db<{ jobs: number; rows: number }[]>`
              select (select count(*)::int from graphile_worker.jobs where locked_by = any(${pools}::text[])) as jobs,
                     (select count(*)::int from private.worker_processes where locked_by = any(${pools}::text[])) as rows`;
            return left!.jobs === 0 && left!.rows === 0;
          });
          events.push({ at: Date.now(), what: `the workers released ${worker.name}'s jobs themselves ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill` });
          console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        })().catch((err: unknown) => events.push({ at: Date.now(), what: `✖ ${(err as Error).message}` }));
        void (async () => {
          await until(`${worker.name} started again`, 60_000, async () => (await countInLog(worker.log, "job worker started")) > workerStarts);
          events.push({ at: Date.now(), what: `${worker.name} working again (pid ${(await readCluster(dataDir)).workers[0]!.pid})` });
          console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        })().catch((err: unknown) => events.push({ at: Date.now(), what: `✖ ${(err as Error).message}` }));
        void (async () => {
          await until(`${app.name} answering again`, 90_000, async () => {
            const now = await readCluster(dataDir);
            if (now.apps[0]!.pid === app.pid) return false;
            return (await fetch(`${app.url}/api/health/ready`).catch(() => null))?.ok === true;
          });
          events.push({ at: Date.now(), what: `${app.name} answering again (pid ${(await readCluster(dataDir)).apps[0]!.pid})` });
          console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        })().catch((err: unknown) => events.push({ at: Date.now(), what: `✖ ${(err as Error).message}` }));
      }
      if (killed && !addedWorker && dials >= firstPass / 2) {
        addedWorker = true;
        const log = path.join(dataDir, "logs", "worker-added.log");
        const fd = openSync(log, "a", 0o600);
        const child = spawn(process.execPath, workerArgs(), { env: { ...process.env, ...info.env, LOG_LEVEL: "debug" }, stdio: ["ignore", fd, fd] });
        closeSync(fd);
        onAdded(child);
        events.push({ at: Date.now(), what: `started a second worker (pid ${child.pid}) at ${dials} dials` });
        console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
        void until("the second worker working", 60_000, async () => (await countInLog(log, "job worker started")) > 0)
          .then(() => {
            events.push({ at: Date.now(), what: `second worker working (pid ${child.pid})` });
            console.log(`  ${iso(Date.now())} ${events.at(-1)!.what}`);
          })
          .catch((err: unknown) => events.push({ at: Date.now(), what: `✖ ${(err as Error).message}` }));
      }
      await sleep(1000);
    }
    const finishedAt = Date.now();
    if (!progress || progress.state !== "completed") console.log(`\n✖ the campaign did not complete within ${RUN_TIMEOUT_MS / 60_000} min (state ${progress?.state})`);
    // The last calls' ends are at the carrier before the campaign completes; nothing more is dialled after.
    const log = (await (await fetch(`${carrier}/__control/dials`)).json()) as DialLog;
    return await report({ db, campaignId: campaign.id, targets, byNumber, log, launchedAt, finishedAt, progress, events, zones, launched: launched.targets });
  } finally {
    await db.end();
  }
}

interface ReportInput {
  db: postgres.Sql;
  campaignId: string;
  targets: Target[];
  byNumber: Map<string, Target>;
  log: DialLog;
  launchedAt: number;
  finishedAt: number;
  progress: Progress | undefined;
  events: { at: number; what: string }[];
  zones: { day: string[]; night: string };
  launched: Record<string, number>;
}

async function report(r: ReportInput): Promise<boolean> {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  // The campaign's dials only (the simulator serves nothing else in this run, but be exact).
  const dials = r.log.dials.filter((d) => r.byNumber.has(d.to)).sort((a, b) => a.receivedAt - b.receivedAt);
  const created = dials.filter((d) => d.status === 201);
  const times = dials.map((d) => d.receivedAt);
  const window = maxInWindow(times, 1000);
  const firstDial = times[0] ?? NaN;
  const lastDial = times.at(-1) ?? NaN;
  const overall = dials.length > 1 ? (dials.length - 1) / ((lastDial - firstDial) / 1000) : NaN;

  // Per number: the carrier's dials in order, checked against the target's kind and the retry policy.
  const perNumber = new Map<string, DialRecord[]>();
  for (const d of dials) perNumber.set(d.to, [...(perNumber.get(d.to) ?? []), d]);
  const retries: Record<string, number> = { busy: 0, "no-answer": 0, failed: 0, completed: 0, other: 0 };
  let shortestGap = { kind: "", gapS: Infinity, backoffS: 0 };
  const wrongCounts: string[] = [];
  let forbidden = 0;
  for (const t of r.targets) {
    const mine = perNumber.get(t.number) ?? [];
    if (t.kind === "dnc" || t.kind === "night") forbidden += mine.length;
    if (mine.length !== EXPECTED_DIALS[t.kind]) wrongCounts.push(`${t.number} (${t.kind}) dialled ${mine.length}×, expected ${EXPECTED_DIALS[t.kind]}`);
    for (let i = 1; i < mine.length; i++) {
      const previous = mine[i - 1]!;
      retries[previous.finalStatus && previous.finalStatus in retries ? previous.finalStatus : "other"]! += 1;
      const rule = t.kind === "busy" || t.kind === "no_answer" || t.kind === "failed" ? RETRY[t.kind] : null;
      const gapS = previous.endedAt === null ? -Infinity : (mine[i]!.receivedAt - previous.endedAt) / 1000;
      if (rule) {
        if (gapS - rule.backoffSeconds < shortestGap.gapS - shortestGap.backoffS) shortestGap = { kind: t.kind, gapS, backoffS: rule.backoffSeconds };
        check(gapS >= rule.backoffSeconds, `${t.number} (${t.kind}) retried ${gapS.toFixed(1)} s after its previous call ended; backoff ${rule.backoffSeconds} s`);
      }
    }
  }

  // The database's side: attempts per target, one call per attempt key, each carrier sid one campaign call.
  // By name: the stored number is sealed (docs/adr/0044), and each target's name is unique here.
  const numberOf = new Map(r.targets.map((t) => [t.name, t.number]));
  const attemptsRows = await r.db<{ name: string; attempts: number; state: string }[]>`
    select name, attempts, state from public.campaign_targets where campaign_id = ${r.campaignId}`;
  const attemptsOf = new Map(attemptsRows.map((row) => [numberOf.get(row.name), row.attempts]));
  const moreThanAttempts = [...perNumber.entries()].filter(([n, ds]) => ds.length > (attemptsOf.get(n) ?? 0));
  const [keys] = await r.db<{ calls: number; keys: number; attempts: number; unlinked: number }[]>`
    select (select count(*)::int from public.calls where campaign_id = ${r.campaignId}) as calls,
           (select count(distinct idempotency_key)::int from public.calls where campaign_id = ${r.campaignId}) as keys,
           (select count(*)::int from public.campaign_attempts where campaign_id = ${r.campaignId}) as attempts,
           (select count(*)::int from public.campaign_attempts where campaign_id = ${r.campaignId} and call_id is null) as unlinked`;
  const sids = await r.db<{ sid: string }[]>`select provider_call_sid as sid from public.calls where campaign_id = ${r.campaignId} and provider_call_sid is not null`;
  const sidSet = new Set(sids.map((s) => s.sid));
  const strangers = created.filter((d) => !sidSet.has(d.sid!)).length;
  const outcomes = await r.db<{ outcome: string | null; attempt: number; n: number }[]>`
    select outcome, attempt, count(*)::int as n from public.campaign_attempts where campaign_id = ${r.campaignId} group by 1, 2 order by 2, 1`;
  const [campaign] = await r.db<{ state: string; startedAt: Date | null; endedAt: Date | null }[]>`
    select state, (select min(created_at) from public.campaign_attempts where campaign_id = ${r.campaignId}) as "startedAt", ended_at as "endedAt"
    from public.campaigns where id = ${r.campaignId}`;

  check(window.count <= RATE, `${window.count} dials in the 1-second window from ${window.at === null ? "-" : iso(window.at)} (at most ${RATE})`);
  check(r.log.maxLive <= MAX_LIVE, `${r.log.maxLive} calls live at once at ${r.log.maxLiveAt === null ? "-" : iso(r.log.maxLiveAt)} (at most ${MAX_LIVE})`);
  check(forbidden === 0, `${forbidden} dials to do-not-call or night targets`);
  check(wrongCounts.length === 0, `${wrongCounts.length} targets not dialled as their policy says, e.g. ${wrongCounts.slice(0, 3).join("; ")}`);
  check(moreThanAttempts.length === 0, `${moreThanAttempts.length} numbers dialled more often than their attempts, e.g. ${moreThanAttempts.slice(0, 3).map(([n, ds]) => `${n} ${ds.length}× for ${attemptsOf.get(n) ?? 0} attempts`).join("; ")}`);
  check(keys!.calls === keys!.keys, `${keys!.calls} campaign calls for ${keys!.keys} attempt keys`);
  check(strangers === 0, `${strangers} carrier calls that are no campaign call`);
  check(created.length === sidSet.size, `the carrier created ${created.length} calls; the campaign's calls name ${sidSet.size} sids`);
  check(r.log.liveNow === 0, `${r.log.liveNow} calls still live at the carrier at the end`);
  check(campaign?.state === "completed", `the campaign is ${campaign?.state}, not completed`);
  check(!r.events.some((e) => e.what.startsWith("✖")), r.events.filter((e) => e.what.startsWith("✖")).map((e) => e.what).join("; "));

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const maxLiveMs = r.log.maxLiveAt;
  const durations = created.filter((d) => d.endedAt !== null).map((d) => d.endedAt! - d.receivedAt).sort((a, b) => a - b);
  console.log("\n— figures (from the carrier simulator's own dial log unless marked [db]) —");
  console.log(`targets ${r.targets.length}; at launch [db] ${JSON.stringify(r.launched)}`);
  console.log(`dials ${dials.length} (created ${created.length}, refused ${dials.length - created.length}) to ${perNumber.size} numbers`);
  console.log(`achieved pace: ${overall.toFixed(2)} dials/s overall (first to last dial, ${s(lastDial - firstDial)}), asked ${RATE}/s (the runner paces at 90%: ${(RATE * 0.9).toFixed(2)}/s)`);
  console.log(`max dials in any 1-s window: ${window.count} (limit ${RATE})${window.at === null ? "" : `, first at ${iso(window.at)}`}`);
  console.log(`max live at the carrier: ${r.log.maxLive} (limit ${MAX_LIVE})${maxLiveMs === null ? "" : ` at ${iso(maxLiveMs)}`}; call length at the carrier p50 ${s(durations[Math.floor(durations.length / 2)] ?? NaN)}, max ${s(durations.at(-1) ?? NaN)}`);
  console.log(`retries, by how the previous dial ended: busy ${retries.busy}, no-answer ${retries["no-answer"]}, failed ${retries.failed}${retries.completed || retries.other ? `, completed ${retries.completed}, other ${retries.other}` : ""}`);
  console.log(`shortest retry gap over its backoff: ${shortestGap.kind ? `${shortestGap.kind} ${shortestGap.gapS.toFixed(1)} s after the previous call ended (backoff ${shortestGap.backoffS} s)` : "-"}`);
  console.log(`attempt outcomes [db]: ${outcomes.map((o) => `#${o.attempt} ${o.outcome ?? "open"} ${o.n}`).join(", ")}`);
  console.log(`dials to do-not-call targets: ${r.targets.filter((t) => t.kind === "dnc").reduce((n, t) => n + (perNumber.get(t.number)?.length ?? 0), 0)}; to night targets (${r.zones.night}): ${r.targets.filter((t) => t.kind === "night").reduce((n, t) => n + (perNumber.get(t.number)?.length ?? 0), 0)}`);
  console.log(`duplicate dials (a number dialled more often than its attempts): ${moreThanAttempts.reduce((n, [num, ds]) => n + ds.length - (attemptsOf.get(num) ?? 0), 0)}; [db] ${keys!.calls} calls for ${keys!.keys} attempt keys, ${keys!.attempts} attempts (${keys!.unlinked} without a call)`);
  console.log(`duration: launch ${iso(r.launchedAt)} → completed ${campaign?.endedAt?.toISOString() ?? "-"} (${campaign?.endedAt ? s(campaign.endedAt.getTime() - r.launchedAt) : "-"}); first dial +${s(firstDial - r.launchedAt)}, last dial +${s(lastDial - r.launchedAt)}`);
  for (const e of r.events) console.log(`  +${s(e.at - r.launchedAt).padStart(7)}  ${iso(e.at)}  ${e.what}`);
  if (problems.length === 0) {
    console.log("\n✔ every check held");
    return true;
  }
  console.log(`\n✖ ${problems.length} check${problems.length === 1 ? "" : "s"} failed:`);
  for (const p of problems) console.log(`  - ${p}`);
  return false;
}

main().catch((err: unknown) => {
  console.error(`✖ ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
