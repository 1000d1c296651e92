/**
 * `npm run bench:verify -- [--mb 1023] [--rounds 10] [--port 3300] [--data-dir .data/bench-verify]`
 *
 * What `POST /api/evidence/verify` costs the production server (docs/adr/0028). Needs a build
 * (`npm run build`); starts the production app itself (`npm start` in its own data directory,
 * with its own database, storage and evidence keys) and stops it at the end. While it runs,
 * this process samples the server's resident memory (VmRSS in /proc/<pid>/status) every 10 ms
 * and times `GET /api/health/live` every 50 ms (an event-loop stall shows as a slow probe).
 *
 * 1. A genuine bundle of about a gigabyte: a call whose recording is `--mb` MiB of random bytes,
 *    sealed with the real sealing code and exported through the real export code (made once,
 *    kept in the data directory). After warming the route up with a small bundle and one of
 *    each hostile kind, it is POSTed as an analyst; prints the baseline, peak and growth of the
 *    server's RSS (budget 64 MB) and the time.
 * 2. `--rounds` of each hostile kind: an upload past the limit by Content-Length and by bytes
 *    (1.2 GiB), JWS entries declaring 64 MiB each, a recording that inflates to 3 GiB (declaring
 *    that, and declaring its manifest size), each of the eight malformed ZIPs of
 *    scripts/hostile-zip.ts, and one more upload than the server checks at once. Prints the
 *    answers and the server's RSS afterwards against the baseline (budget: within 10%).
 *
 * Exits 1 when an answer is not the expected one or a budget is exceeded.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { benchDatabaseUrl, signInCookie, startProductionApp, stopApp, zeros } from "./bench-support";
import { sealedCallWithRecording } from "./bench-recorded-call";
import { bombEntry, MALFORMED, malformedEntry, storedEntry, zipOfEntries, zipWith, type Malformation, type RawEntry } from "./hostile-zip";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "1023" },
    rounds: { type: "string", default: "10" },
    port: { type: "string", default: "3300" },
    "data-dir": { type: "string", default: ".data/bench-verify" },
    /** Only the hostile kinds whose name contains this (and no genuine gigabyte), e.g. to watch one kind's memory. */
    only: { type: "string" },
  },
});
const MIB = 1024 ** 2;
// The bundles are the analyst's organization's: the verify API checks a bundle against the
// organization's own log, and another organization's evidence does not verify there.
const ANALYST_ORG = "Acme Health";
const RECORDING_BYTES = Math.round(Number(values.mb) * MIB);
const ROUNDS = Number(values.rounds);
const PORT = Number(values.port);
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = path.resolve(values["data-dir"]!);
const GROWTH_BUDGET = 64 * 1000 ** 2;
const AFTER_BUDGET = 0.1;

// The app and this process share the database, storage and keys: this one seals and exports
// the bundles, the app verifies them with the same keys. Without DATABASE_URL, `npm start`
// runs the embedded Postgres for its port, and this process connects to it.
const givenDatabaseUrl = process.env.DATABASE_URL;
Object.assign(process.env, {
  DATABASE_URL: benchDatabaseUrl(BASE, undefined),
  STORAGE_DIR: path.join(DATA, "storage"),
  EVIDENCE_KEYS_DIR: path.join(DATA, "evidence-keys"),
  EVIDENCE_TSA_DIR: path.join(DATA, "evidence-tsa"),
  LOG_LEVEL: "warn",
});
const { asService } = await import("@/lib/db");
const { exportEvidence } = await import("@/lib/evidence-sealing/export");
const { evidenceKeyring, timeStampAuthority } = await import("@/lib/evidence-sealing/authority");
const { openZipBundle } = await import("@/lib/evidence/bundle-zip");
const { artifactFileName } = await import("@/lib/evidence/bundle");

const mb = (n: number) => (n / 1000 ** 2).toFixed(1);
const signedMb = (n: number) => `${n < 0 ? "−" : "+"}${mb(Math.abs(n))}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let failed = false;
const check = (ok: boolean, line: string) => {
  if (!ok) failed = true;
  console.log(`${ok ? "  ok  " : "  FAIL"} ${line}`);
};

// ── The server ─────────────────────────────────────────────────────────────────────────────

async function startApp(): Promise<{ app: ChildProcess; pid: number }> {
  await mkdir(DATA, { recursive: true });
  // Keys before the app starts, so both processes load the same ones.
  await Promise.all([evidenceKeyring(), timeStampAuthority()]);
  return startProductionApp({ port: PORT, dataDir: DATA, env: { DATABASE_URL: givenDatabaseUrl } });
}

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]) * 1024;
}

/** Peak RSS and the slowest liveness probe while `work` runs. */
async function measured<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number; slowestProbeMs: number; seconds: number }> {
  let peak = rssOf(pid);
  let slowestProbeMs = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 10);
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const t0 = performance.now();
      await send({ method: "GET", path: "/api/health/live" }).catch(() => undefined);
      slowestProbeMs = Math.max(slowestProbeMs, performance.now() - t0);
      await sleep(50);
    }
  })();
  const started = performance.now();
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssOf(pid)), slowestProbeMs, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(sampler);
    probing = false;
    await prober;
  }
}

/**
 * RSS once the server has settled: the lowest sample over five seconds. Right after a burst of
 * requests RSS still holds garbage the next collection frees (tens of MB either way), which is
 * not what a request kept.
 */
async function settledRss(pid: number): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    low = Math.min(low, rssOf(pid));
  }
  return low;
}

// ── HTTP ───────────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  code: string;
  ok?: boolean;
  retryAfter?: string;
  /** Seconds until the last byte of the body was sent, and until the answer ended. */
  sent?: number;
  answered: number;
}

let cookie = "";

/**
 * One request on its own connection. An answer that arrives while the body is still being sent
 * (413, 429) ends the upload: the server closes the connection after answering.
 */
function send(args: { method: string; path: string; body?: Buffer | Readable; length?: number; type?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sent: number | undefined;
    let answered = false;
    const headers: Record<string, string> = { cookie };
    if (args.type) headers["content-type"] = args.type;
    if (args.length !== undefined) headers["content-length"] = String(args.length);
    const req = http.request(`${BASE}${args.path}`, { method: args.method, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => undefined);
      res.on("end", () => {
        if (args.body instanceof Readable) args.body.destroy();
        req.destroy();
        const text = Buffer.concat(chunks).toString("utf8");
        let json: { ok?: boolean; error?: { code?: string } } = {};
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON (the liveness probe's HEAD, say)
        }
        const retryAfter = res.headers["retry-after"];
        resolve({ status: res.statusCode ?? 0, code: json.error?.code ?? (json.ok === undefined ? "" : `ok:${json.ok}`), ok: json.ok, retryAfter, sent, answered: (performance.now() - started) / 1000 });
      });
    });
    req.on("finish", () => (sent = (performance.now() - started) / 1000));
    req.on("error", (error) => {
      if (answered) return;
      // A refusal (413 by Content-Length) can close the socket while the body is still being
      // written: the write fails, and the answer may still be on its way. Wait for it briefly.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE" || code === "ECONNRESET") setTimeout(() => answered || reject(error), 2000);
      else reject(error);
    });
    if (args.body instanceof Readable) {
      const body = args.body;
      body.on("error", () => undefined);
      if (args.length === undefined) body.pipe(req);
      else {
        // A declared length the server refuses is answered from the headers alone; sending the
        // body first would race that answer (the socket closes under the write: EPIPE).
        req.flushHeaders();
        setTimeout(() => answered || body.pipe(req), 250);
      }
    } else req.end(args.body);
  });
}

const verify = (body: Buffer | Readable, length?: number) => send({ method: "POST", path: "/api/evidence/verify", body, length, type: "application/zip" });

// ── Bundles ────────────────────────────────────────────────────────────────────────────────

/** A sealed call with a recording of `bytes` random bytes, exported to a file once and kept. */
async function genuineBundle(bytes: number): Promise<string> {
  const file = path.join(DATA, `bundle-${bytes}.zip`);
  if (existsSync(file)) return file;
  console.log(`making a sealed call with a ${mb(bytes)} MB recording and exporting its bundle…`);
  const { orgId, callId, userId } = await sealedCallWithRecording({ orgName: ANALYST_ORG, bytes });
  const bundle = await asService((tx) => exportEvidence(tx, { orgId, callId, actorUserId: userId, requestId: `bench-${randomUUID()}` }));
  // Written aside and renamed, so an interrupted run never leaves half a bundle to reuse.
  await pipeline(Readable.fromWeb(bundle.body as never), createWriteStream(`${file}.part`));
  await rename(`${file}.part`, file);
  return file;
}

async function filesOf(file: string): Promise<{ files: Map<string, Uint8Array>; recording: { name: string; bytes: number } }> {
  const bundle = await openZipBundle(file);
  const files = new Map<string, Uint8Array>();
  for (const name of bundle.names()) files.set(name, (await bundle.read(name))!);
  bundle.close();
  const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json")!)) as { artifacts: { kind: string; id: string; mediaType: string; bytes: number }[] };
  const artifact = manifest.artifacts.find((a) => a.kind === "recording")!;
  return { files, recording: { name: artifactFileName(artifact as never), bytes: artifact.bytes } };
}

// ── The run ────────────────────────────────────────────────────────────────────────────────

interface HostileKind {
  name: string;
  expect: { status: number; code?: string };
  /** Some send several requests at once; each answer is checked. */
  run: () => Promise<Answer[]>;
}

async function main(): Promise<void> {
  if (!existsSync(path.resolve(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("No production build: run `npm run build` first.");
  console.log(`starting the production app on ${BASE} (data in ${path.relative(process.cwd(), DATA)})…`);
  const { app, pid } = await startApp();
  try {
    const big = values.only === undefined ? await genuineBundle(RECORDING_BYTES) : undefined;
    const small = await genuineBundle(MIB);
    const smallZip = await readFile(small);
    const { files, recording } = await filesOf(small);
    cookie = await signInCookie(BASE, "analyst@acme.test");

    // The auditor's JWS bombs were a bundle's small files and nothing else: about 130 kB.
    const smallFiles = new Map([...files].filter(([name]) => name !== recording.name));
    const malformed = (Object.keys(MALFORMED) as Malformation[]).map<HostileKind>((kind) => ({
      name: `${kind} (the recording)`,
      expect: { status: 422, code: MALFORMED[kind] },
      run: async () => [await verify(zipWith(files, recording.name, malformedEntry(kind, recording.name, files.get(recording.name)!)))],
    }));
    const kinds: HostileKind[] = [
      { name: "1.2 GiB, Content-Length", expect: { status: 413, code: "payload_too_large" }, run: async () => [await verify(zeros(1200 * MIB), 1200 * MIB)] },
      { name: "1.2 GiB, chunked (counted)", expect: { status: 413, code: "payload_too_large" }, run: async () => [await verify(zeros(1200 * MIB))] },
      {
        name: "JWS entries declaring 64 MiB each",
        expect: { status: 422, code: "zip_too_large" },
        run: async () => [await verify(withEntries(smallFiles, [bombEntry("manifest.jws", 64, 64 * MIB), bombEntry("tree-head.jws", 64, 64 * MIB)]))],
      },
      {
        name: "JWS entries inflating to 64 MiB, declaring their size",
        expect: { status: 422, code: "zip_size_mismatch" },
        run: async () => [await verify(withEntries(smallFiles, [bombEntry("manifest.jws", 64, files.get("manifest.jws")!.length), bombEntry("tree-head.jws", 64, files.get("tree-head.jws")!.length)]))],
      },
      { name: "recording inflating to 3 GiB, declaring 3 GiB", expect: { status: 422, code: "zip_too_large" }, run: async () => [await verify(zipWith(files, recording.name, bombEntry(recording.name, 3072, 3072 * MIB)))] },
      { name: "recording inflating to 3 GiB, declaring the manifest's size", expect: { status: 422, code: "zip_size_mismatch" }, run: async () => [await verify(zipWith(files, recording.name, bombEntry(recording.name, 3072, recording.bytes)))] },
      ...malformed,
      { name: "3 uploads at once (2 allowed)", expect: { status: 429, code: "rate_limited" }, run: () => busyRound(smallZip) },
    ].filter((kind) => values.only === undefined || kind.name.includes(values.only));

    // Warm-up: the route's code paths once each, so the baseline is a warm server's.
    console.log("warming up…");
    for (let i = 0; i < 3; i++) await verify(smallZip);
    for (const kind of kinds) await kind.run();
    const baseline = await settledRss(pid);

    if (big) {
      console.log(`\n1. a genuine bundle of ${mb((await stat(big)).size)} MB (recording ${mb(RECORDING_BYTES)} MB)`);
      const bigSize = (await stat(big)).size;
      const run = await measured(pid, () => verify(createReadStream(big, { highWaterMark: MIB }), bigSize));
      check(run.result.status === 200 && run.result.ok === true, `answer ${run.result.status} ${run.result.code}`);
      const uploaded = run.result.sent ?? run.seconds;
      console.log(`        time ${run.seconds.toFixed(2)} s: upload ${uploaded.toFixed(2)} s (${mb(bigSize / uploaded)} MB/s), then verification and answer ${(run.result.answered - uploaded).toFixed(2)} s`);
      console.log(`        slowest liveness probe ${run.slowestProbeMs.toFixed(0)} ms`);
      console.log(`        RSS baseline ${mb(baseline)} MB, peak ${mb(run.peak)} MB, growth ${mb(run.peak - baseline)} MB`);
      check(run.peak - baseline <= GROWTH_BUDGET, `growth ${mb(run.peak - baseline)} MB within ${mb(GROWTH_BUDGET)} MB`);
    }

    console.log(`\n2. hostile uploads, ${ROUNDS} of each (RSS peak while they ran and RSS once settled after them, over the baseline; the slowest liveness probe)`);
    let slowestProbeMs = 0;
    for (const kind of kinds) {
      const round = await measured(pid, async () => {
        const answers: Answer[] = [];
        for (let i = 0; i < ROUNDS; i++) answers.push(...(await kind.run()));
        return answers;
      });
      const answers = round.result;
      slowestProbeMs = Math.max(slowestProbeMs, round.slowestProbeMs);
      const tally = new Map<string, number>();
      for (const a of answers) tally.set(`${a.status} ${a.code}`, (tally.get(`${a.status} ${a.code}`) ?? 0) + 1);
      const expected = kind.expect.status === 429
        ? answers.filter((a) => a.status === 429 && a.code === "rate_limited" && a.retryAfter).length === ROUNDS && answers.every((a) => a.status === 429 || a.ok === true)
        : answers.every((a) => a.status === kind.expect.status && a.code === kind.expect.code);
      const answered = [...tally].map(([k, n]) => `${k} ×${n}`).join(", ");
      const settled = await settledRss(pid);
      check(expected, `${kind.name.padEnd(60)} ${answered.padEnd(40)} ${(round.seconds / ROUNDS).toFixed(2).padStart(6)} s each, RSS peak ${signedMb(round.peak - baseline)} then ${signedMb(settled - baseline)} MB, probe ${round.slowestProbeMs.toFixed(0)} ms`);
    }
    const after = await settledRss(pid);
    console.log(`        slowest liveness probe ${slowestProbeMs.toFixed(0)} ms`);
    const change = (after - baseline) / baseline;
    check(Math.abs(change) <= AFTER_BUDGET, `RSS afterwards ${mb(after)} MB, ${(change * 100).toFixed(1)}% from the baseline ${mb(baseline)} MB (budget ±${AFTER_BUDGET * 100}%)`);
  } finally {
    await stopApp(app);
  }
}

/** Every file of the bundle, the named ones replaced. */
function withEntries(files: ReadonlyMap<string, Uint8Array>, replacements: RawEntry[]): Buffer {
  const replaced = new Set(replacements.map((r) => r.name));
  return zipOfEntries([...[...files].filter(([name]) => !replaced.has(name)).map(([name, bytes]) => storedEntry(name, bytes)), ...replacements]);
}

/**
 * Three uploads of a genuine bundle at once against two slots: two send half their bytes and
 * wait, the third is refused (429) before it sends, then the two finish (200).
 */
async function busyRound(zip: Buffer): Promise<Answer[]> {
  const gates: (() => void)[] = [];
  const held = [0, 1].map(() => {
    const body = new Readable({ read() {} });
    body.push(zip.subarray(0, zip.length >> 1));
    gates.push(() => {
      body.push(zip.subarray(zip.length >> 1));
      body.push(null);
    });
    return verify(body, zip.length);
  });
  await sleep(1000);
  const third = await verify(zip, zip.length);
  for (const open of gates) open();
  return [third, ...(await Promise.all(held))];
}

try {
  await main();
} catch (error) {
  console.error(`✖ ${(error as Error).message}`);
  failed = true;
}
process.exit(failed ? 1 : 0);
