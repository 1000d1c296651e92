/**
 * `npm run bench:soak -- [--minutes 30] [--warmup 3] [--rate 20] [--burst after|only|none]`
 *
 * Whether the production server keeps the memory a request costs (issue 19). Needs a build
 * (`npm run build`); starts the production app itself (`npm start`: scripts/dev.ts, then
 * bin/server.ts, in its own data directory `--data-dir`, port `--port`; the embedded Postgres
 * and simulator ports come from EMBEDDED_PG_PORT and CARRIER_SIMULATOR_PORT as for `npm start`)
 * and stops it at the end. The server serves its `process.memoryUsage()` to this process at
 * /__bench/memory (VERBATIM_MEMORY_PROBE=1, loopback only); RSS comes from /proc/<pid>/status.
 * Asserts nothing: it prints figures.
 *
 * 1. The soak (`--minutes`, after `--warmup` minutes of the same traffic): a steady mix at about
 *    `--rate` requests a second, in cycles of: the operator places a call to the simulator's
 *    silent number (POST /api/calls; the carrier accepts it through the real SDK and sends
 *    nothing), then this process sends the call's status callbacks, initiated to completed,
 *    each twice (carriers retry), signed as the carrier signs them (the SDK's own signer,
 *    scripts/simulator), so each completed call is sealed by the job worker; and page and API
 *    reads by the owner, admin, analyst and viewer in turn (GET /, the call list, the call's
 *    detail, the activity feed, its evidence versions). Every `--recorded-every` cycles a call
 *    the simulator plays whole (answered, recorded, transcribed: its own signed callbacks, LaML
 *    fetches, the recording's ingest); every `--sse-every` cycles a realtime stream held for a
 *    few seconds, then dropped. Every `--interval` seconds a sample: RSS (anonymous and file
 *    pages), V8 heap used and total, external and array buffers. Prints the RSS after warm-up
 *    and at the end (each the median of the samples of the minute before it), the difference in
 *    %, and the growth per request.
 * 2. The bursts (`--burst after` the soak, `only` instead of it), each from a quiet server,
 *    then `--settle` seconds idle: RSS before (the lowest over 5 s), at its peak (sampled every
 *    20 ms) and after settling (10 s, 30 s, … in).
 *    a. a webhook storm: `--storm` signed status callbacks repeated, 64 at once; 4 MiB bodies
 *       to the webhook route; 12 MB bodies (declared, and chunked without a length) and
 *       malformed JSON to the member API; and forged
 *       callbacks (a bad signature), last, since they get the address refused for a while;
 *    b. a burst of verifications: `--verifications` POSTs of a genuine bundle exported through
 *       the API (a recorded call's), 2 at once, then 100 more 8 at once against the server's 2
 *       slots (so 429s too), and
 *       ten of each malformed ZIP of scripts/hostile-zip.ts and each bomb, uploads past the
 *       limit by Content-Length, and `--oversized` uploads past it counted (1.2 GiB chunked).
 *
 * Figures, not assertions: on a machine shared with other work, run it more than once.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openZipBundle } from "@/lib/evidence/bundle-zip";
import { benchDatabaseUrl, httpClient, signInCookie, startProductionApp, stopApp, zeros } from "./bench-support";
import { bombEntry, MALFORMED, malformedEntry, zipWith, type Malformation } from "./hostile-zip";
import { RESERVED_NUMBERS, signWebhook } from "./simulator";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    warmup: { type: "string", default: "3" },
    rate: { type: "string", default: "20" },
    concurrency: { type: "string", default: "6" },
    interval: { type: "string", default: "10" },
    "recorded-every": { type: "string", default: "25" },
    "sse-every": { type: "string", default: "10" },
    burst: { type: "string", default: "after" },
    storm: { type: "string", default: "6000" },
    verifications: { type: "string", default: "200" },
    oversized: { type: "string", default: "2" },
    settle: { type: "string", default: "120" },
    /** Diagnosis: ask the server for a full collection every N seconds of the soak (0: never), to tell garbage not yet collected from memory kept. */
    "gc-every": { type: "string", default: "0" },
    port: { type: "string", default: "3360" },
    "data-dir": { type: "string", default: ".data/bench-soak" },
  },
});
const MINUTES = Number(values.minutes);
const WARMUP_MINUTES = Number(values.warmup);
const RATE = Number(values.rate);
const CONCURRENCY = Number(values.concurrency);
const INTERVAL_MS = Number(values.interval) * 1000;
const RECORDED_EVERY = Number(values["recorded-every"]);
const SSE_EVERY = Number(values["sse-every"]);
const BURST = values.burst!;
const STORM = Number(values.storm);
const VERIFICATIONS = Number(values.verifications);
const OVERSIZED = Number(values.oversized);
const SETTLE_SECONDS = Number(values.settle);
const GC_EVERY_MS = Number(values["gc-every"]) * 1000;
const PORT = Number(values.port);
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = path.resolve(values["data-dir"]!);
const MIB = 1024 ** 2;
if (!["after", "only", "none"].includes(BURST)) throw new Error("--burst is after, only or none");

const SILENT = Object.entries(RESERVED_NUMBERS).find(([, s]) => s.kind === "silent")![0];
/** Any number the simulator has no scenario for: answered, and recorded when asked. */
const ANSWERED = "+15005550123";
const EVENTS = ["initiated", "ringing", "answered", "in-progress", "completed"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (n: number) => (n / 1000 ** 2).toFixed(1);
const signedMb = (n: number) => `${n < 0 ? "−" : "+"}${mb(Math.abs(n))}`;

// ── The server and its memory ──────────────────────────────────────────────────────────────

function startApp(): Promise<{ app: ChildProcess; pid: number }> {
  // --expose-gc only lets this script ask for a full collection at the very end, to tell
  // what the heap keeps from what it has not collected yet; nothing calls it before.
  return startProductionApp({ port: PORT, dataDir: DATA, env: { VERBATIM_MEMORY_PROBE: "1", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc`.trim() } });
}

interface Rss {
  rss: number;
  anon: number;
  file: number;
}

function rssOf(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"))?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") + kb("RssShmem") };
}

/** CPU seconds the server has used (user + system), from /proc/<pid>/stat. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The allocator setting the server runs with (bin/allocator.ts), from its environment. */
function tunablesOf(pid: number): string {
  const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  return env.find((e) => e.startsWith("GLIBC_TUNABLES="))?.slice("GLIBC_TUNABLES=".length) ?? "none";
}

interface Heap {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

async function heapOf(gc = false): Promise<Heap> {
  const res = await fetch(`${BASE}/__bench/memory${gc ? "?gc=1" : ""}`);
  if (!res.ok) throw new Error(`/__bench/memory answered ${res.status}`);
  return (await res.json()) as Heap;
}

interface Sample extends Rss, Heap {
  at: number;
  requests: number;
}

const header = `${"t".padStart(7)} ${"requests".padStart(9)} ${"RSS".padStart(8)} ${"anon".padStart(8)} ${"file".padStart(7)} ${"heap used".padStart(10)} ${"heap total".padStart(10)} ${"external".padStart(9)} ${"arrayBuf".padStart(9)}  (MB)`;
function sampleLine(s: Sample, t0: number): string {
  const m = (n: number, w: number) => mb(n).padStart(w);
  return `${`${((s.at - t0) / 1000).toFixed(0)}s`.padStart(7)} ${String(s.requests).padStart(9)} ${m(s.rss, 8)} ${m(s.anon, 8)} ${m(s.file, 7)} ${m(s.heapUsed, 10)} ${m(s.heapTotal, 10)} ${m(s.external, 9)} ${m(s.arrayBuffers, 9)}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** RSS of a quiet server: the lowest of 20 samples over five seconds (a collection may be under way). */
async function quietRss(pid: number): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    low = Math.min(low, rssOf(pid).rss);
  }
  return low;
}

// ── Traffic ────────────────────────────────────────────────────────────────────────────────

let requests = 0;
const tally = new Map<string, number>();
function count(kind: string, status: number): void {
  requests += 1;
  const key = `${kind} ${status}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** One request every 1/RATE s across all workers, so the pace holds however the server answers. */
let nextSlot = 0;
async function pace(): Promise<void> {
  const now = performance.now();
  nextSlot = Math.max(now, nextSlot + 1000 / RATE);
  if (nextSlot > now) await sleep(nextSlot - now);
}

interface Session {
  email: string;
  cookie: string;
}

const client = httpClient(64);

async function request(kind: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<number> {
  await pace();
  const status = await client.send(method, url, headers, body).catch(() => 0);
  count(kind, status);
  return status;
}

async function requestJson<T>(kind: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: T | null }> {
  await pace();
  const res = await fetch(url, { method, headers, body }).catch(() => null);
  const json = res ? ((await res.json().catch(() => null)) as T | null) : null;
  count(kind, res?.status ?? 0);
  return { status: res?.status ?? 0, json };
}

interface Traffic {
  operator: Session;
  owner: Session;
  readers: Session[];
  signingKey: string;
  db: postgres.Sql;
  /** Completed calls with their signed callbacks, which the storm repeats. */
  callbacks: { url: string; headers: Record<string, string>; body: string }[];
}

/** A call placed by the operator; a recorded and transcribed one by the owner (operators may not turn those on). */
async function placeCall(t: Traffic, to: string, record: boolean): Promise<string | null> {
  const { status, json } = await requestJson<{ call: { id: string } }>("POST /api/calls", "POST", `${BASE}/api/calls`, {
    "content-type": "application/json",
    cookie: record ? t.owner.cookie : t.operator.cookie,
    "idempotency-key": crypto.randomUUID(),
  }, JSON.stringify(record ? { to, record, transcribe: true } : { to, record }));
  return status === 201 && json ? json.call.id : null;
}

/** The call's five status callbacks, each sent twice, signed with the project's signing key. */
async function statusCallbacks(t: Traffic, callId: string): Promise<void> {
  const [row] = await t.db<{ sid: string | null }[]>`select provider_call_sid as sid from public.calls where id = ${callId}`;
  if (!row?.sid) return;
  const url = `${BASE}/api/webhooks/signalwire/${callId}/status`;
  for (const [seq, status] of EVENTS.entries()) {
    const params: Record<string, string> = {
      CallSid: row.sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api",
      Timestamp: new Date().toUTCString(), ...(status === "completed" ? { CallDuration: "30" } : {}),
    };
    const callback = { url, headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook(t.signingKey, url, params) }, body: new URLSearchParams(params).toString() };
    if (t.callbacks.length < 2000) t.callbacks.push(callback);
    for (let copy = 0; copy < 2; copy++) await request("POST status callback", "POST", callback.url, callback.headers, callback.body);
  }
}

async function reads(t: Traffic, reader: Session, callId: string, page: boolean): Promise<void> {
  const h = { cookie: reader.cookie };
  await request("GET /api/calls", "GET", `${BASE}/api/calls?limit=50`, h);
  await request("GET /api/calls/:id", "GET", `${BASE}/api/calls/${callId}`, h);
  await request("GET /api/activity", "GET", `${BASE}/api/activity?limit=50`, h);
  if (reader.email !== "viewer@acme.test") await request("GET /api/calls/:id/evidence/versions", "GET", `${BASE}/api/calls/${callId}/evidence/versions`, h);
  if (page) await request("GET /", "GET", `${BASE}/?call=${callId}`, h);
}

/** A realtime stream held for a few seconds, then dropped by the client, as a closed tab does. */
async function sse(reader: Session): Promise<void> {
  await pace();
  const controller = new AbortController();
  const status = await new Promise<number>((resolve) => {
    const req = http.get(`${BASE}/api/realtime`, { headers: { cookie: reader.cookie, accept: "text/event-stream" }, signal: controller.signal }, (res) => {
      res.on("data", () => undefined);
      res.on("error", () => undefined);
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
  });
  count("GET /api/realtime (held 3 s)", status);
  await sleep(3000);
  controller.abort();
}

async function cycle(t: Traffic, n: number): Promise<void> {
  const reader = t.readers[n % t.readers.length]!;
  const callId = await placeCall(t, SILENT, false);
  if (callId) {
    await statusCallbacks(t, callId);
    await reads(t, reader, callId, n % 2 === 0);
  }
  if (RECORDED_EVERY > 0 && n % RECORDED_EVERY === RECORDED_EVERY - 1) await placeCall(t, ANSWERED, true);
  if (SSE_EVERY > 0 && n % SSE_EVERY === SSE_EVERY - 1) await sse(reader);
}

/** Cycles on `CONCURRENCY` workers until `until` (performance.now()). */
async function traffic(t: Traffic, until: () => boolean): Promise<void> {
  let n = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (!until()) await cycle(t, n++);
  }));
}

// ── The soak ───────────────────────────────────────────────────────────────────────────────

async function soak(t: Traffic, pid: number): Promise<void> {
  console.log(`\n1. soak: ${WARMUP_MINUTES} min warm-up, then ${MINUTES} min, about ${RATE} requests/s (${CONCURRENCY} workers); a sample every ${INTERVAL_MS / 1000} s`);
  console.log(header);
  const t0 = Date.now();
  const warmEnd = t0 + WARMUP_MINUTES * 60_000;
  const end = warmEnd + MINUTES * 60_000;
  const samples: Sample[] = [];
  let done = false;
  const running = traffic(t, () => Date.now() >= end).then(() => (done = true));
  let warmMark: { requests: number; at: number; cpu: number } | null = null;
  const collector = GC_EVERY_MS > 0 ? setInterval(() => void heapOf(true).catch(() => undefined), GC_EVERY_MS) : undefined;
  while (!done) {
    await sleep(Math.min(INTERVAL_MS, Math.max(0, end - Date.now())));
    const sample: Sample = { at: Date.now(), requests, ...rssOf(pid), ...(await heapOf()) };
    samples.push(sample);
    console.log(sampleLine(sample, t0));
    if (!warmMark && sample.at >= warmEnd) {
      warmMark = { requests: sample.requests, at: sample.at, cpu: cpuOf(pid) };
      console.log(`   — warm-up over —`);
    }
    if (Date.now() >= end) break;
  }
  await running;
  clearInterval(collector);
  const cpu = cpuOf(pid) - (warmMark?.cpu ?? 0);
  const lastMinute = (at: number) => samples.filter((s) => s.at > at - 60_000 && s.at <= at);
  const warm = lastMinute(warmMark?.at ?? warmEnd);
  const final = lastMinute(samples.at(-1)!.at);
  const warmRss = median(warm.map((s) => s.rss));
  const endRss = median(final.map((s) => s.rss));
  const warmHeap = median(warm.map((s) => s.heapUsed));
  const endHeap = median(final.map((s) => s.heapUsed));
  const soaked = requests - (warmMark?.requests ?? 0);
  const seconds = (samples.at(-1)!.at - (warmMark?.at ?? warmEnd)) / 1000;
  console.log(`\n   requests after warm-up: ${soaked} in ${(seconds / 60).toFixed(1)} min (${(soaked / seconds).toFixed(1)}/s); by kind and answer:`);
  for (const [kind, n] of [...tally].sort()) console.log(`     ${kind.padEnd(48)} ${n}`);
  console.log(`   RSS after warm-up ${mb(warmRss)} MB, at the end ${mb(endRss)} MB: ${signedMb(endRss - warmRss)} MB, ${(((endRss - warmRss) / warmRss) * 100).toFixed(1)}%`);
  console.log(`   per request: RSS ${((endRss - warmRss) / soaked).toFixed(0)} bytes, heap used ${((endHeap - warmHeap) / soaked).toFixed(0)} bytes`);
  console.log(`   server CPU after warm-up: ${cpu.toFixed(0)} s, ${((cpu * 1000) / soaked).toFixed(2)} ms per request`);
  const live = await heapOf(true);
  await sleep(5000);
  console.log(`   after a full collection at the end of the soak: heap used ${mb(live.heapUsed)} MB, RSS ${mb(rssOf(pid).rss)} MB`);
  console.log(`   RSS range after warm-up: ${mb(Math.min(...samples.filter((s) => s.at >= (warmMark?.at ?? warmEnd)).map((s) => s.rss)))}–${mb(Math.max(...samples.filter((s) => s.at >= (warmMark?.at ?? warmEnd)).map((s) => s.rss)))} MB`);
}

// ── The bursts ─────────────────────────────────────────────────────────────────────────────

/** Peak RSS while `work` runs (sampled every 20 ms), then RSS as the server idles. */
async function burst(pid: number, name: string, work: () => Promise<string[]>): Promise<void> {
  console.log(`\n   ${name}`);
  const before = await quietRss(pid);
  const heapBefore = await heapOf();
  let peak = rssOf(pid).rss;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid).rss)), 20);
  const started = performance.now();
  let lines: string[];
  try {
    lines = await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssOf(pid).rss);
  for (const line of lines) console.log(`     ${line}`);
  console.log(`     ${((performance.now() - started) / 1000).toFixed(1)} s; RSS before ${mb(before)} MB (heap used ${mb(heapBefore.heapUsed)}, external ${mb(heapBefore.external)}), peak ${mb(peak)} MB (${signedMb(peak - before)})`);
  const settledAt = performance.now();
  const marks = [10, 30, 60, 120, 180, 300].filter((s) => s <= SETTLE_SECONDS);
  if (!marks.includes(SETTLE_SECONDS)) marks.push(SETTLE_SECONDS);
  const after: string[] = [];
  for (const mark of marks) {
    await sleep(Math.max(0, settledAt + mark * 1000 - performance.now() - 5000));
    const rss = await quietRss(pid);
    const heap = await heapOf();
    after.push(`${mark} s: ${mb(rss)} MB (${signedMb(rss - before)}; heap used ${mb(heap.heapUsed)}, total ${mb(heap.heapTotal)}, external ${mb(heap.external)})`);
  }
  console.log(`     idle, RSS after ${after.join("\n                      ")}`);
}

/** Many requests, `width` at once; the answers tallied by kind. */
async function fire(kind: string, n: number, width: number, send: (i: number) => Promise<number>, lines: string[]): Promise<void> {
  const answers = new Map<number, number>();
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const status = await send(next++).catch(() => 0);
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  }));
  lines.push(`${kind.padEnd(58)} ${[...answers].map(([s, c]) => `${s} ×${c}`).join(", ")}`);
}

/** One request on its own connection with a Buffer or stream body; the status (0 when the connection broke first). */
function post(urlPath: string, headers: Record<string, string>, body: Buffer | Readable, length?: number): Promise<number> {
  return new Promise((resolve) => {
    let answered = false;
    const h = { ...headers, ...(length !== undefined ? { "content-length": String(length) } : Buffer.isBuffer(body) ? { "content-length": String(body.length) } : {}) };
    const req = http.request(`${BASE}${urlPath}`, { method: "POST", headers: h, agent: false }, (res) => {
      answered = true;
      res.resume();
      res.on("end", () => {
        if (body instanceof Readable) body.destroy();
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      res.on("error", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => setTimeout(() => answered || resolve(0), 2000));
    if (body instanceof Readable) {
      body.on("error", () => undefined);
      body.pipe(req);
    } else req.end(body);
  });
}

async function storm(t: Traffic, operator: Session): Promise<string[]> {
  const lines: string[] = [];
  const callbacks = t.callbacks;
  await fire("signed status callbacks (repeats of delivered ones)", STORM, 64, (i) => {
    const c = callbacks[i % callbacks.length]!;
    return client.send("POST", c.url, c.headers, c.body);
  }, lines);
  const big = Buffer.alloc(4 * MIB, "a");
  await fire("4 MiB bodies to the webhook route", 100, 16, (i) => post(new URL(callbacks[i % callbacks.length]!.url).pathname, { "content-type": "application/x-www-form-urlencoded" }, big), lines);
  const huge = Buffer.alloc(12 * 1000 ** 2, "{");
  await fire("12 MB bodies to POST /api/calls", 100, 16, () => post("/api/calls", { "content-type": "application/json", cookie: operator.cookie }, huge), lines);
  await fire("12 MB bodies to POST /api/calls, chunked (no length)", 50, 16, () => post("/api/calls", { "content-type": "application/json", cookie: operator.cookie }, zeros(12 * 1000 ** 2)), lines);
  await fire("malformed JSON to POST /api/calls", 500, 16, () => client.send("POST", `${BASE}/api/calls`, { "content-type": "application/json", cookie: operator.cookie, "idempotency-key": crypto.randomUUID() }, "{\"to\": \"+1500"), lines);
  // Last: past 20 failed verifications the source address is refused for ten minutes.
  await fire("forged callbacks (bad signature)", 500, 32, (i) => {
    const c = callbacks[i % callbacks.length]!;
    return client.send("POST", c.url, { ...c.headers, "x-signalwire-signature": "Zm9yZ2Vk" }, c.body);
  }, lines);
  return lines;
}

/** A recorded call's bundle, exported through the API as the analyst once its manifest lists the recording. */
async function genuineBundle(t: Traffic, analyst: Session): Promise<Buffer> {
  const file = path.join(DATA, "soak-bundle.zip");
  if (existsSync(file)) return readFile(file);
  console.log("   placing a recorded call and waiting for a bundle with its recording…");
  const callId = await placeCall(t, ANSWERED, true);
  if (!callId) throw new Error("placing the recorded call failed");
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${BASE}/api/calls/${callId}/evidence`, { headers: { cookie: analyst.cookie } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 200) {
      await writeFile(`${file}.part`, body);
      if ((await filesOf(`${file}.part`)).recording) {
        await rename(`${file}.part`, file);
        return body;
      }
    }
    await sleep(2000);
  }
  throw new Error(`the recorded call ${callId} was not sealed with its recording within 3 minutes`);
}

/** A bundle's files, and the name of its recording if it has one. */
async function filesOf(file: string): Promise<{ files: Map<string, Uint8Array>; recording: string | undefined }> {
  const reader = await openZipBundle(file);
  const files = new Map<string, Uint8Array>();
  for (const name of reader.names()) files.set(name, (await reader.read(name, 64 * MIB))!);
  reader.close();
  return { files, recording: [...files.keys()].find((name) => name.startsWith("artifacts/recording-")) };
}

async function verifications(bundle: Buffer, analyst: Session): Promise<string[]> {
  const lines: string[] = [];
  const h = { "content-type": "application/zip", cookie: analyst.cookie };
  await fire(`genuine bundle (${mb(bundle.length)} MB), 2 at once`, VERIFICATIONS, 2, () => post("/api/evidence/verify", h, bundle), lines);
  await fire(`genuine bundle, 8 at once against 2 slots`, 100, 8, () => post("/api/evidence/verify", h, bundle), lines);
  const { files, recording: found } = await filesOf(path.join(DATA, "soak-bundle.zip"));
  const recording = found!;
  for (const kind of Object.keys(MALFORMED) as Malformation[]) {
    const zip = zipWith(files, recording, malformedEntry(kind, recording, files.get(recording)!));
    await fire(`malformed: ${kind}`, 10, 2, () => post("/api/evidence/verify", h, zip), lines);
  }
  const bomb = zipWith(files, recording, bombEntry(recording, 1024, files.get(recording)!.length));
  await fire("recording inflating to 1 GiB, declaring its size", 10, 2, () => post("/api/evidence/verify", h, bomb), lines);
  const jwsBomb = zipWith(files, "manifest.jws", bombEntry("manifest.jws", 64, files.get("manifest.jws")!.length));
  await fire("manifest.jws inflating to 64 MiB, declaring its size", 10, 2, () => post("/api/evidence/verify", h, jwsBomb), lines);
  await fire("past the limit by Content-Length (1.2 GiB declared)", 20, 4, () => post("/api/evidence/verify", h, Buffer.alloc(0), 1200 * MIB), lines);
  if (OVERSIZED > 0) await fire("past the limit, counted (1.2 GiB chunked)", OVERSIZED, 2, () => post("/api/evidence/verify", h, zeros(1200 * MIB)), lines);
  return lines;
}

// ── The run ────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  if (!existsSync(path.resolve(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("No production build: run `npm run build` first.");
  console.log(`starting the production app on ${BASE} (data in ${path.relative(process.cwd(), DATA)})…`);
  const { app, pid } = await startApp();
  const db = postgres(benchDatabaseUrl(BASE, undefined), { max: 2, onnotice: () => {}, types: {} });
  try {
    const carrier = JSON.parse(await readFile(path.join(DATA, "carrier.json"), "utf8")) as { signingKey: string };
    const sessions = new Map<string, Session>();
    for (const email of ["operator@acme.test", "owner@acme.test", "admin@acme.test", "analyst@acme.test", "viewer@acme.test"]) {
      sessions.set(email, { email, cookie: await signInCookie(BASE, email) });
    }
    const t: Traffic = {
      operator: sessions.get("operator@acme.test")!,
      owner: sessions.get("owner@acme.test")!,
      readers: ["owner@acme.test", "admin@acme.test", "analyst@acme.test", "viewer@acme.test"].map((e) => sessions.get(e)!),
      signingKey: carrier.signingKey,
      db,
      callbacks: [],
    };
    const started = rssOf(pid);
    const live = await heapOf(true);
    console.log(`server pid ${pid}: RSS at start ${mb(started.rss)} MB (anonymous ${mb(started.anon)}, file ${mb(started.file)}); heap used after a full collection ${mb(live.heapUsed)} MB; GLIBC_TUNABLES ${tunablesOf(pid)}`);
    if (BURST !== "only") await soak(t, pid);
    if (BURST !== "none") {
      console.log(`\n2. bursts, each from a quiet server, then ${SETTLE_SECONDS} s idle`);
      // Callbacks to repeat and a bundle to verify, made before the first "before".
      if (t.callbacks.length === 0) {
        const end = Date.now() + 30_000;
        await traffic(t, () => Date.now() >= end);
      }
      const analyst = sessions.get("analyst@acme.test")!;
      const bundle = await genuineBundle(t, analyst);
      await sleep(20_000);
      await burst(pid, "a. webhook storm", () => storm(t, t.operator));
      await burst(pid, "b. burst of verifications", () => verifications(bundle, analyst));
    }
    const gc = await heapOf(true);
    const final = rssOf(pid);
    console.log(`\nat the end, after a full collection: RSS ${mb(final.rss)} MB (anonymous ${mb(final.anon)}), heap used ${mb(gc.heapUsed)} of ${mb(gc.heapTotal)} MB, external ${mb(gc.external)} MB, array buffers ${mb(gc.arrayBuffers)} MB`);
  } finally {
    client.close();
    await db.end();
    await stopApp(app);
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(`✖ ${(error as Error).message}`);
  process.exit(1);
}
