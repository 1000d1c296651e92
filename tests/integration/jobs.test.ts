import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { makeWorkerUtils, runOnce, type TaskList } from "graphile-worker";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { enqueue } from "@/lib/jobs";
import { listFailedJobs } from "@/lib/worker/failed";
import { graphileLogger } from "@/lib/worker/graphile-log";
import { taskList } from "@/lib/worker/task-list";
import { scrub } from "@/lib/calls/recording-ingest";
import {
  decideLostDial,
  notFoundSid,
  reconcileCalls,
  recordingMediaUrl,
  recordingsSettled,
} from "@/lib/calls/reconcile";
import type { ProviderCall } from "@/lib/telephony/carrier-view";
import { startInProcessWorker, startWorker } from "@/lib/worker/runner";
import { espeakSynthesizer, stopSpeechWorker, type CarrierSimulator } from "@/scripts/simulator";
import { encodeWav, layout, tone } from "@/scripts/simulator/pcm";
import { REFUSED_SOURCE } from "@/lib/telephony/recording-source";
import { signalwire } from "@/lib/telephony/client";
import { logger } from "@/lib/logger";
import { resetStorage } from "@/lib/storage";
import { dialledNumber, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { createOrg, createUser, insertCall, member } from "@/tests/support/fixtures";
import { clearSignalWire, configureSignalWire, startTestCarrier } from "@/tests/support/signalwire";

/**
 * The job system against the throwaway database: jobs enqueued inside a service transaction,
 * run by graphile-worker itself (`runOnce`, and a short-lived `run()`), with the real task list.
 * The ingest task downloads from a small HTTP server standing in for the provider's media URL.
 */

let storageDir: string;
let audioDir: string;
let provider: Server;
let providerUrl: string;
const media = new Map<string, { status: number; type: string; body: Buffer }>();
const downloads = new Map<string, number>();

let orgId: string;
let userId: string;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function runJobs(tasks: TaskList = taskList): Promise<void> {
  return runOnce({
    connectionString: process.env.DATABASE_URL!,
    taskList: tasks,
    noHandleSignals: true,
    logger: graphileLogger(logger()),
  });
}

async function newRecording(callId: string, opts: { sid?: string } = {}) {
  const sid = opts.sid ?? `RE${randomUUID().replaceAll("-", "")}`;
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status)
    values (${orgId}, ${callId}, ${sid}, 'pending') returning id`);
  return { id: row!.id, sid };
}

async function recordingRow(id: string) {
  const [row] = await sql()<
    {
      status: string;
      storagePath: string | null;
      sha256: string | null;
      bytes: string | null;
      durationSeconds: number | null;
      channels: number | null;
      mediaType: string | null;
      error: string | null;
      storedAt: Date | null;
    }[]
  >`select status, storage_path as "storagePath", sha256, bytes::text as bytes, duration_seconds as "durationSeconds",
           channels, media_type as "mediaType", error, stored_at as "storedAt"
    from public.recordings where id = ${id}`;
  return row!;
}

async function eventsOf(callId: string) {
  return sql()<{ kind: string; dedupeKey: string; payload: Record<string, unknown> }[]>`
    select kind, dedupe_key as "dedupeKey", payload from public.call_events where call_id = ${callId} order by id`;
}

async function jobsWithKey(key: string) {
  return sql()<{ id: string; task: string; attempts: number; maxAttempts: number; lastError: string | null; runAt: Date; lockedAt: Date | null }[]>`
    select id::text, task_identifier as task, attempts, max_attempts as "maxAttempts", last_error as "lastError", run_at as "runAt",
           locked_at as "lockedAt"
    from graphile_worker.jobs where key = ${key}`;
}

beforeAll(async () => {
  storageDir = await mkdtemp(path.join(tmpdir(), "verbatim-jobs-storage-"));
  audioDir = await mkdtemp(path.join(tmpdir(), "verbatim-jobs-audio-"));
  process.env.STORAGE_DIR = storageDir;
  resetConfig();
  resetStorage();

  // Real audio: a 3 s two-channel tone and a spoken phrase (eSpeak NG, as it writes WAV itself).
  const beep = tone(8000, 3, 440).samples;
  media.set("/rec/tone.wav", { status: 200, type: "audio/wav", body: encodeWav(layout(2, [{ channel: 1, atSample: 0, samples: beep }, { channel: 2, atSample: 0, samples: beep }]), 8000, 2) });
  media.set("/rec/speech.wav", { status: 200, type: "audio/x-wav", body: await espeakSynthesizer("This call is recorded.", "en-us", 175) });
  media.set("/rec/not-wav.wav", { status: 200, type: "audio/mpeg", body: Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00 not a RIFF file at all") });
  media.set("/rec/html.wav", { status: 200, type: "text/html", body: Buffer.from("<html>maintenance</html>") });
  media.set("/rec/broken.wav", { status: 500, type: "application/json", body: Buffer.from('{"message":"upstream"}') });

  provider = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    downloads.set(pathname, (downloads.get(pathname) ?? 0) + 1);
    const item = media.get(pathname);
    if (!item) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"message":"not found"}');
      return;
    }
    res.writeHead(item.status, { "content-type": item.type, "content-length": item.body.length }).end(item.body);
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  // Recordings are fetched only from the carrier: this local provider stands in as its simulator.
  configureSignalWire({ CARRIER_SIMULATOR_URL: providerUrl });

  orgId = await createOrg("pro");
  userId = await createUser();
});

afterAll(async () => {
  clearSignalWire();
  await new Promise<void>((resolve) => provider.close(() => resolve()));
  delete process.env.STORAGE_DIR;
  resetConfig();
  resetStorage();
  await rm(storageDir, { recursive: true, force: true });
  await rm(audioDir, { recursive: true, force: true });
  await stopSpeechWorker();
});

describe("enqueue", () => {
  it("adds the job only when the service transaction commits, with its key and attempts", async () => {
    await expect(
      asService(async (tx) => {
        await enqueue(tx, "reconcile_calls", { reason: "rolled back" }, { jobKey: "enqueue-test-rollback" });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await jobsWithKey("enqueue-test-rollback")).toEqual([]);

    const runAt = new Date(Date.now() + 3600_000);
    await asService((tx) => enqueue(tx, "reconcile_calls", { reason: "first" }, { jobKey: "enqueue-test", runAt, maxAttempts: 3 }));
    await asService((tx) => enqueue(tx, "reconcile_calls", { reason: "second" }, { jobKey: "enqueue-test", runAt, maxAttempts: 3 }));
    const jobs = await jobsWithKey("enqueue-test");
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ task: "reconcile_calls", attempts: 0, maxAttempts: 3 });
    expect(Math.abs(jobs[0]!.runAt.getTime() - runAt.getTime())).toBeLessThan(1000);
    const [payload] = await sql()<{ payload: { reason: string } }[]>`
      select payload from graphile_worker._private_jobs where key = 'enqueue-test'`;
    expect(payload!.payload.reason).toBe("second"); // the pending job was replaced, not duplicated
    await sql()`delete from graphile_worker._private_jobs where key = 'enqueue-test'`;
  });

  it("is refused outside the service path", async () => {
    const someone = await member(orgId, "owner");
    await expect(withUser(someone.claims, (tx) => enqueue(tx, "reconcile_calls", {}))).rejects.toThrow(/permission denied/);
  });
});

describe("ingest_recording", () => {
  let callId: string;
  beforeAll(async () => {
    callId = await insertCall(orgId, userId);
  });

  const payloadFor = (rec: { id: string; sid: string }, file: string, extra: Record<string, unknown> = {}) => ({
    recordingId: rec.id,
    orgId,
    callId,
    recordingSid: rec.sid,
    recordingUrl: `${providerUrl}/rec/${file}`,
    ...extra,
  });

  it("copies the audio into storage, hashes it, reads the WAV header and records the event", async () => {
    const rec = await newRecording(callId);
    const served = media.get("/rec/tone.wav")!.body;
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "tone", { durationSeconds: 99 }), { jobKey: `ingest:${rec.sid}` }));
    expect(await jobsWithKey(`ingest:${rec.sid}`)).toHaveLength(1);

    await runJobs();

    const row = await recordingRow(rec.id);
    expect(row).toMatchObject({
      status: "stored",
      storagePath: `${orgId}/${callId}/${rec.sid}.wav`,
      sha256: sha256(served),
      bytes: String(served.length),
      channels: 2,
      durationSeconds: 3, // from the header, not the callback's 99
      mediaType: "audio/wav",
      error: null,
    });
    expect(sha256(await readFile(path.join(storageDir, row.storagePath!)))).toBe(sha256(served));
    const stored = (await eventsOf(callId)).filter((e) => e.kind === "recording.stored");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ dedupeKey: `recording.stored:${rec.sid}`, payload: { recordingSid: rec.sid, sha256: sha256(served), channels: 2 } });
    expect(JSON.stringify(stored[0]!.payload)).not.toContain(providerUrl);
    expect(await jobsWithKey(`ingest:${rec.sid}`)).toEqual([]); // done jobs are deleted, and the URL with them

    // Run it again: nothing is downloaded, nothing changes.
    const before = downloads.get("/rec/tone.wav");
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "tone"), { jobKey: `ingest:${rec.sid}` }));
    await runJobs();
    expect(downloads.get("/rec/tone.wav")).toBe(before);
    expect(await recordingRow(rec.id)).toEqual(row);
    expect((await eventsOf(callId)).filter((e) => e.kind === "recording.stored")).toHaveLength(1);
  });

  it("stores speech from espeak-ng as served (audio/x-wav), mono", async () => {
    const rec = await newRecording(callId);
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "speech")));
    await runJobs();
    const row = await recordingRow(rec.id);
    expect(row).toMatchObject({ status: "stored", sha256: sha256(media.get("/rec/speech.wav")!.body), channels: 1 });
    expect(row.durationSeconds).toBeGreaterThanOrEqual(1);
  });

  it("falls back to the callback's duration (and the row's channels) when the header cannot say", async () => {
    const rec = await newRecording(callId);
    await asService((tx) => tx`update public.recordings set channels = 1 where id = ${rec.id}`);
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "not-wav", { durationSeconds: 7 })));
    await runJobs();
    expect(await recordingRow(rec.id)).toMatchObject({ status: "stored", durationSeconds: 7, channels: 1 });
  });

  it("marks the recording failed at once when the provider answers 404", async () => {
    const rec = await newRecording(callId);
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "gone"), { jobKey: `ingest:${rec.sid}` }));
    await runJobs();
    const row = await recordingRow(rec.id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/404/);
    expect(row.error).not.toContain(providerUrl);
    const failed = (await eventsOf(callId)).filter((e) => e.dedupeKey === `recording.failed:${rec.sid}`);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.kind).toBe("recording.failed");
    expect(JSON.stringify(failed[0]!.payload)).not.toContain(providerUrl);
    // No retry, and no payload left behind. (Polled: on a loaded machine runOnce has been seen to
    // return while the finished job's own completion was still being written.)
    await expect.poll(() => jobsWithKey(`ingest:${rec.sid}`), { timeout: 5000 }).toEqual([]);
  });

  it("never fetches from anywhere but the carrier: a queued RecordingUrl elsewhere fails at once, the same for every target (issue 17 §5)", async () => {
    const targets = ["https://127.0.0.1:5432/x", "https://[::1]/x", "https://2130706433/x", "https://0x7f.1/x", "https://169.254.169.254/x", `${providerUrl.replace("127.0.0.1", "localhost")}/rec/tone`];
    const errors = new Set<string>();
    const before = downloads.get("/rec/tone.wav") ?? 0;
    for (const recordingUrl of targets) {
      const rec = await newRecording(callId);
      await asService((tx) => enqueue(tx, "ingest_recording", { ...payloadFor(rec, "tone"), recordingUrl }, { jobKey: `ingest:${rec.sid}` }));
      await runJobs();
      const row = await recordingRow(rec.id);
      expect(row.status, recordingUrl).toBe("failed");
      errors.add(row.error!);
      await expect.poll(() => jobsWithKey(`ingest:${rec.sid}`), { timeout: 5000 }).toEqual([]);
    }
    // One answer whatever listens there: nothing to scan ports with.
    expect([...errors]).toEqual([REFUSED_SOURCE]);
    // Not even the local provider was asked, under another name for the same address.
    expect(downloads.get("/rec/tone.wav") ?? 0).toBe(before);
  });

  it("retries a 500 with backoff (attempts, last_error, run_at), then fails the row on the last attempt", async () => {
    const rec = await newRecording(callId);
    const key = `ingest:${rec.sid}`;
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "broken"), { jobKey: key, maxAttempts: 2 }));
    const started = Date.now();
    await runJobs();

    const [job] = await jobsWithKey(key);
    expect(job).toMatchObject({ attempts: 1, maxAttempts: 2, lockedAt: null });
    expect(job!.lastError).toMatch(/HTTP 500/);
    expect(job!.lastError).not.toContain(providerUrl);
    expect(job!.runAt.getTime()).toBeGreaterThan(started + 1000); // e^1 s later at least
    expect((await recordingRow(rec.id)).status).toBe("pending");
    expect((await listFailedJobs(sql())).map((j) => j.id)).toContain(job!.id);

    // The retry is not due yet: another pass does nothing.
    await runJobs();
    expect((await jobsWithKey(key))[0]!.attempts).toBe(1);

    const utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL!, logger: graphileLogger(logger()) });
    try {
      await utils.rescheduleJobs([job!.id], { runAt: new Date() });
    } finally {
      await utils.release();
    }
    await runJobs();
    const row = await recordingRow(rec.id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/HTTP 500/);
    expect((await eventsOf(callId)).some((e) => e.dedupeKey === `recording.failed:${rec.sid}`)).toBe(true);
    expect(await jobsWithKey(key)).toEqual([]);
  });

  it("does not store what is not audio, and retries", async () => {
    const rec = await newRecording(callId);
    await asService((tx) => enqueue(tx, "ingest_recording", payloadFor(rec, "html"), { jobKey: `ingest:${rec.sid}` }));
    await runJobs();
    expect((await recordingRow(rec.id)).status).toBe("pending");
    const [job] = await jobsWithKey(`ingest:${rec.sid}`);
    expect(job!.lastError).toMatch(/text\/html, not audio/);
    expect(await readFile(path.join(storageDir, orgId, callId, `${rec.sid}.wav`)).catch(() => null)).toBeNull();
    await sql()`delete from graphile_worker._private_jobs where id = ${job!.id}`;
  });

  it("never touches another organization's recording", async () => {
    const rec = await newRecording(callId);
    const otherOrg = await createOrg("pro");
    await asService((tx) => enqueue(tx, "ingest_recording", { ...payloadFor(rec, "tone"), orgId: otherOrg }));
    const before = downloads.get("/rec/tone.wav");
    await runJobs();
    expect(downloads.get("/rec/tone.wav")).toBe(before);
    expect((await recordingRow(rec.id)).status).toBe("pending");
  });

  it("scrubs the recording URL and its path from error messages", () => {
    const url = "https://space.signalwire.com/api/laml/2010-04-01/Accounts/AC1/Recordings/RE1";
    expect(scrub(`GET ${url}.wav failed`, url)).toBe("GET [recording url].wav failed");
    expect(scrub("404 for /api/laml/2010-04-01/Accounts/AC1/Recordings/RE1.wav", url)).toBe("404 for [recording path].wav");
  });
});

describe("the worker", () => {
  it("runs jobs as they arrive, retries and logs failures, schedules reconcile_calls every minute, and stops cleanly", async () => {
    const callId = await insertCall(orgId, userId);
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    let calls = 0;
    const worker = await startWorker({
      log: pino({ level: "debug" }, sink),
      pollInterval: 100,
      taskList: {
        ...taskList,
        flaky_probe: async () => {
          calls += 1;
          throw new Error(`probe failure ${calls}`);
        },
      },
    });
    try {
      const rec = await newRecording(callId);
      await asService((tx) =>
        enqueue(tx, "ingest_recording", { recordingId: rec.id, orgId, callId, recordingSid: rec.sid, recordingUrl: `${providerUrl}/rec/tone` }),
      );
      await worker.runner.addJob("flaky_probe", {}, { jobKey: "flaky-probe", maxAttempts: 5 });
      const html = await newRecording(callId);
      await asService((tx) =>
        enqueue(tx, "ingest_recording", { recordingId: html.id, orgId, callId, recordingSid: html.sid, recordingUrl: `${providerUrl}/rec/html` }, { jobKey: `ingest:${html.sid}` }),
      );
      await expect.poll(async () => (await recordingRow(rec.id)).status, { timeout: 10_000, interval: 100 }).toBe("stored");
      await expect.poll(async () => (await jobsWithKey("flaky-probe"))[0]?.attempts, { timeout: 10_000 }).toBe(1);
      const [flaky] = await jobsWithKey("flaky-probe");
      expect(flaky!.lastError).toBe("probe failure 1");
      // Its failure recorded, not merely the attempt taken: the log line below comes with the failure.
      await expect.poll(async () => (await jobsWithKey(`ingest:${html.sid}`))[0]?.lastError ?? null, { timeout: 10_000 }).not.toBeNull();
      const crons = await sql()<{ identifier: string }[]>`select identifier from graphile_worker._private_known_crontabs order by identifier`;
      expect(crons.map((c) => c.identifier)).toEqual(["expire_evidence_exports", "reconcile_calls", "reconcile_transcriptions", "release_dead_workers", "retention_sweep", "seal_numbers", "sweep_campaigns"]);

      // Each failure is one structured line with task, attempt and message; payloads (and the
      // bearer RecordingUrl in them) never reach the log.
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: "job failed; will retry", task: "flaky_probe", attempt: 1, maxAttempts: 5, err: "probe failure 1" }),
      );
      expect(lines).toContainEqual(expect.objectContaining({ msg: "job failed; will retry", task: "ingest_recording", attempt: 1 }));
      expect(lines.some((l) => l.msg === "job worker started")).toBe(true);
      expect(JSON.stringify(lines)).not.toContain(providerUrl);
    } finally {
      await worker.stop();
    }
    expect(lines.some((l) => l.msg === "job worker stopped")).toBe(true);
    await sql()`delete from graphile_worker._private_jobs where key = 'flaky-probe' or task_id = (select id from graphile_worker._private_tasks where identifier = 'ingest_recording')`;
  });
});

describe("the in-process worker", () => {
  it("starts once per process however often it is asked", async () => {
    const [a, b] = await Promise.all([startInProcessWorker(), startInProcessWorker()]);
    try {
      expect(a).toBeDefined();
      expect(b).toBe(a);
      expect(await startInProcessWorker()).toBe(a);
    } finally {
      await a?.stop();
    }
  });
});

describe("reconcile_calls: decisions", () => {
  const call = (sid: string, createdAt: Date | null): ProviderCall => ({
    sid,
    status: "completed",
    to: "+15550001111",
    from: "+15550002222",
    dateCreated: createdAt,
    startTime: null,
    endTime: null,
    durationSeconds: null,
  });
  const ours = new Date("2026-11-21T10:00:00Z");

  it("adopts exactly one unknown match made after our row (allowing a minute of skew)", () => {
    expect(decideLostDial([call("a", new Date("2026-11-21T09:59:30Z"))], ours, new Set())).toEqual({ kind: "adopt", call: call("a", new Date("2026-11-21T09:59:30Z")) });
    // a call created well before ours is someone else's; a sid another call holds is too
    expect(decideLostDial([call("old", new Date("2026-11-21T09:50:00Z")), call("known", ours)], ours, new Set(["known"]))).toEqual({ kind: "not_found" });
    expect(decideLostDial([call("a", ours), call("b", ours)], ours, new Set())).toEqual({ kind: "ambiguous", sids: ["a", "b"] });
  });

  it("searches for the number the REST call dialled: the operator in the bridge flow", () => {
    const plan = {
      flow: "bridge",
      from: "+15550002222",
      to: "+15550001111",
      operatorPhone: "+15550003333",
      record: false,
      transcribe: false,
      translate: null,
      disclosure: null,
      survey: null,
      shopperScript: null,
      configVersion: 1,
    };
    expect(dialledNumber(plan as ModulationSnapshot)).toBe("+15550003333");
    expect(dialledNumber({ ...(plan as ModulationSnapshot), flow: "direct", operatorPhone: null })).toBe("+15550001111");
  });

  it("builds the media URL from the resource uri on the API origin", () => {
    expect(recordingMediaUrl("https://example.signalwire.com", "/api/laml/2010-04-01/Accounts/P/Recordings/R.json")).toBe(
      "https://example.signalwire.com/api/laml/2010-04-01/Accounts/P/Recordings/R",
    );
    expect(recordingMediaUrl("http://127.0.0.1:4010/", "/2010-04-01/Accounts/P/Recordings/R.json")).toBe("http://127.0.0.1:4010/2010-04-01/Accounts/P/Recordings/R");
  });

  it("waits while the carrier is still producing a recording", () => {
    const rec = (status: string | null) => ({ sid: "R", status, uri: "/R.json", durationSeconds: null, channels: null });
    expect(recordingsSettled([rec("completed"), rec("absent")])).toBe(true);
    expect(recordingsSettled([rec("completed"), rec("processing")])).toBe(false);
    expect(recordingsSettled([])).toBe(true);
  });
});

describe("reconcile_calls against the carrier simulator", () => {
  const FROM = "+12025550199";
  const THRESHOLD = 60;
  let sim: CarrierSimulator;
  let counter = 0;

  beforeAll(async () => {
    sim = await startTestCarrier({ delayMs: 10, webhookTimeoutMs: 300, retryDelayMs: 5 });
    configureSignalWire({ SIGNALWIRE_FROM_NUMBER: FROM, CARRIER_SIMULATOR_URL: sim.url });
  });

  afterAll(async () => {
    await sim?.stop();
    configureSignalWire({ CARRIER_SIMULATOR_URL: providerUrl });
  });

  /** A fresh number per scenario, in the 555-01xx fictional range. */
  const nextNumber = () => `+1312555${String(1000 + (counter += 1)).slice(-4)}`;

  /** A call placed at the carrier through the real SDK; resolves once the carrier says it ended. */
  async function carrierCall(to: string, opts: { record?: boolean; scenario?: Parameters<CarrierSimulator["setScenario"]>[1] } = {}) {
    if (opts.scenario) sim.setScenario(to, opts.scenario);
    const created = await signalwire().calls.create({ to, from: FROM, twiml: "<Response><Say>Hello from the reconciler test.</Say></Response>", record: opts.record ?? false });
    await expect
      .poll(() => sim.calls().find((c) => c.sid === created.sid), { timeout: 20_000, interval: 50 })
      .toSatisfy((c) => Boolean(c && ["completed", "busy", "no-answer", "failed", "canceled"].includes(c.status) && (!opts.record || c.recordings.length > 0)));
    return created.sid;
  }

  interface Row {
    status?: string;
    sid?: string | null;
    to?: string;
    record?: boolean;
    dialError?: { code: string; message: string } | null;
    updatedAgo?: number;
    createdAgo?: number;
    endedAgo?: number | null;
  }

  /** A call row as POST /api/calls makes it (a full plan snapshot), aged as the scenario needs. */
  async function callRow(row: Row): Promise<string> {
    const to = row.to ?? nextNumber();
    const record = row.record ?? false;
    const plan = {
      flow: "direct",
      from: FROM,
      to,
      operatorPhone: null,
      record,
      transcribe: false,
      translate: null,
      disclosure: record ? "This call is recorded." : null,
      survey: null,
      shopperScript: null,
      configVersion: 1,
    };
    const [inserted] = await asService((tx) => tx<{ id: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier,
                                status, provider_call_sid, dial_error, created_at, updated_at, ended_at)
      values (${orgId}, ${userId}, 'direct', ${FROM}, ${to}, ${randomUUID()},
              ${tx.json(plan)}, 'pro',
              ${row.status ?? "queued"}, ${row.sid ?? null}, ${row.dialError ? tx.json(row.dialError) : null},
              now() - make_interval(secs => ${row.createdAgo ?? 7200}),
              now() - make_interval(secs => ${row.updatedAgo ?? 7200}),
              ${row.endedAgo === undefined || row.endedAgo === null ? null : sql()`now() - make_interval(secs => ${row.endedAgo})`})
      returning id`);
    return inserted!.id;
  }

  async function callState(id: string) {
    const [row] = await sql()<{ status: string; sid: string | null; durationSeconds: number | null; endedAt: Date | null }[]>`
      select status::text, provider_call_sid as sid, duration_seconds as "durationSeconds", ended_at as "endedAt"
      from public.calls where id = ${id}`;
    return row!;
  }

  const reconcile = () => reconcileCalls({ thresholdSeconds: THRESHOLD });

  it("does nothing when telephony is not configured", async () => {
    const report = await reconcileCalls({ carrier: null });
    expect(Object.values(report).every((n) => n === 0)).toBe(true);
  });

  it("settles stale calls from the carrier's view, fails calls it does not know, and leaves fresh ones alone", async () => {
    const silentTo = nextNumber();
    const sid = await carrierCall(silentTo, { scenario: { kind: "silent", finalStatus: "completed" } });
    const stale = await callRow({ status: "ringing", sid, to: silentTo });
    const unknown = await callRow({ status: "in_progress", sid: randomUUID() });
    const freshSid = await carrierCall(nextNumber(), { scenario: { kind: "silent", finalStatus: "busy" } });
    const fresh = await callRow({ status: "ringing", sid: freshSid, updatedAgo: 0 });

    const report = await reconcile();
    expect(report.errors).toBe(0);

    expect(await callState(stale)).toMatchObject({ status: "completed", sid, durationSeconds: 5 });
    const staleEvents = await eventsOf(stale);
    expect(staleEvents).toEqual([expect.objectContaining({ kind: "reconcile.status", payload: expect.objectContaining({ CallSid: sid, CallStatus: "completed", Source: "reconciler" }) })]);

    expect((await callState(unknown)).status).toBe("failed");
    expect((await eventsOf(unknown))[0]).toMatchObject({ kind: "reconcile.status", payload: { CallStatus: "failed" } });

    expect((await callState(fresh)).status).toBe("ringing");
    expect(await eventsOf(fresh)).toEqual([]);
  });

  it("adopts the one carrier call a timed-out dial made, and never dials again", async () => {
    const to = nextNumber();
    const dialError = { code: "dial_outcome_unknown", message: "No clear answer from the carrier." };
    const id = await callRow({ to, dialError, createdAgo: 5 });
    const sid = await carrierCall(to, { scenario: { kind: "silent", finalStatus: "no-answer" } });
    const placedBefore = sim.calls().length;

    await reconcile();

    expect(await callState(id)).toMatchObject({ sid, status: "no_answer" });
    expect((await eventsOf(id)).map((e) => e.kind)).toEqual(["reconcile.adopted", "reconcile.status"]);
    expect(sim.calls().length).toBe(placedBefore);
  });

  it("fails a timed-out dial the carrier never saw, under the synthetic sid none:<callId>", async () => {
    const dialError = { code: "dial_outcome_unknown", message: "No clear answer from the carrier." };
    const id = await callRow({ dialError, createdAgo: 5 });
    await reconcile();
    expect(await callState(id)).toMatchObject({ status: "failed", sid: notFoundSid(id) });
    expect((await eventsOf(id)).map((e) => e.kind)).toEqual(["reconcile.not_found", "reconcile.status"]);
  });

  it("leaves an ambiguous timed-out dial queued and says so once", async () => {
    const to = nextNumber();
    const dialError = { code: "dial_outcome_unknown", message: "No clear answer from the carrier." };
    const id = await callRow({ to, dialError, createdAgo: 5 });
    await carrierCall(to, { scenario: { kind: "silent", finalStatus: "completed" } });
    await carrierCall(to, { scenario: { kind: "silent", finalStatus: "completed" } });
    await reconcile();
    expect(await callState(id)).toMatchObject({ status: "queued", sid: null });
    expect((await eventsOf(id)).map((e) => e.kind)).toEqual(["reconcile.ambiguous"]);
  });

  it("finds a recording whose callback never came and ingests it; reports one that never existed", async () => {
    const recordedTo = nextNumber();
    const recordedSid = await carrierCall(recordedTo, { record: true });
    const recorded = await callRow({ status: "completed", sid: recordedSid, to: recordedTo, record: true, endedAgo: 3600 });
    const unrecordedSid = await carrierCall(nextNumber());
    const missing = await callRow({ status: "completed", sid: unrecordedSid, record: true, endedAgo: 3600 });
    const notExpected = await callRow({ status: "completed", sid: randomUUID(), record: false, endedAgo: 3600 });
    const tooRecent = await callRow({ status: "completed", sid: randomUUID(), record: true, endedAgo: 5 });

    const report = await reconcile();
    expect(report.errors).toBe(0);

    const [pending] = await sql()<{ id: string; sid: string; status: string; durationSeconds: number | null; channels: number | null }[]>`
      select id, provider_recording_sid as sid, status, duration_seconds as "durationSeconds", channels
      from public.recordings where call_id = ${recorded}`;
    const carrierRecording = sim.calls().find((c) => c.sid === recordedSid)!.recordings[0]!;
    expect(pending).toMatchObject({ sid: carrierRecording.sid, status: "pending", durationSeconds: carrierRecording.durationSeconds });
    expect(await jobsWithKey(`ingest:${carrierRecording.sid}`)).toHaveLength(1);
    expect((await eventsOf(recorded)).map((e) => e.kind)).toEqual(["reconcile.recording_found"]);

    await runJobs();
    const stored = await recordingRow(pending!.id);
    expect(stored).toMatchObject({ status: "stored", sha256: sim.served(carrierRecording.sid)!.sha256, bytes: String(sim.served(carrierRecording.sid)!.bytes) });
    expect(stored.channels).toBe(carrierRecording.channels);

    const [missingRow] = await sql()<{ status: string; sid: string | null }[]>`
      select status, provider_recording_sid as sid from public.recordings where call_id = ${missing}`;
    expect(missingRow).toEqual({ status: "missing", sid: null });
    expect((await eventsOf(missing)).map((e) => e.kind)).toEqual(["recording.missing"]);

    for (const untouched of [notExpected, tooRecent]) {
      expect(await sql()`select 1 from public.recordings where call_id = ${untouched}`).toHaveLength(0);
    }
  });

  it("settles recordings left pending without an ingest job: fetched again, or absent with the carrier's reason", async () => {
    /** A pending row as a refused ingest payload leaves it: old, and no job in the queue. */
    async function strandedPending(callId: string, sid: string) {
      const [row] = await asService((tx) => tx<{ id: string }[]>`
        insert into public.recordings (organization_id, call_id, provider_recording_sid, status, created_at)
        values (${orgId}, ${callId}, ${sid}, 'pending', now() - interval '2 hours') returning id`);
      return row!.id;
    }
    const recordedTo = nextNumber();
    const recordedSid = await carrierCall(recordedTo, { record: true });
    const carrierRecording = sim.calls().find((c) => c.sid === recordedSid)!.recordings[0]!;
    const kept = await callRow({ status: "completed", sid: recordedSid, to: recordedTo, record: true, endedAgo: 3600 });
    const keptRecording = await strandedPending(kept, carrierRecording.sid);

    const lost = await callRow({ status: "completed", sid: randomUUID(), record: true, endedAgo: 3600 });
    const lostSid = randomUUID();
    const lostRecording = await strandedPending(lost, lostSid);

    // A pending row whose job is still queued belongs to that job.
    const owned = await callRow({ status: "completed", sid: randomUUID(), record: true, endedAgo: 3600 });
    const ownedSid = randomUUID();
    const ownedRecording = await strandedPending(owned, ownedSid);
    await asService((tx) => enqueue(tx, "ingest_recording", {
      recordingId: ownedRecording, orgId, callId: owned, recordingSid: ownedSid, recordingUrl: `${providerUrl}/rec/none`,
    }, { jobKey: `ingest:${ownedSid}`, runAt: new Date(Date.now() + 3_600_000) }));

    const report = await reconcile();
    expect(report).toMatchObject({ pendingRequeued: 1, pendingAbsent: 1, errors: 0 });

    expect(await jobsWithKey(`ingest:${carrierRecording.sid}`)).toHaveLength(1);
    expect((await eventsOf(kept)).map((e) => e.kind)).toEqual(["reconcile.recording_requeued"]);
    await runJobs();
    expect(await recordingRow(keptRecording)).toMatchObject({ status: "stored", sha256: sim.served(carrierRecording.sid)!.sha256 });

    expect(await recordingRow(lostRecording)).toMatchObject({ status: "absent", error: expect.stringContaining("HTTP 404") });
    expect((await eventsOf(lost)).map((e) => e.kind)).toEqual(["recording.absent"]);

    expect((await recordingRow(ownedRecording)).status).toBe("pending");
    expect(await eventsOf(owned)).toEqual([]);
    await sql()`select graphile_worker.remove_job(${`ingest:${ownedSid}`})`;
    await asService((tx) => tx`update public.recordings set status = 'absent', error = 'test cleanup' where id = ${ownedRecording}`);
  });

  it("settles as failed a pending recording that ingest refuses even after it was queued again", async () => {
    const to = nextNumber();
    const sid = await carrierCall(to, { record: true });
    const recording = sim.calls().find((c) => c.sid === sid)!.recordings[0]!;
    const id = await callRow({ status: "completed", sid, to, record: true, endedAgo: 3600 });
    const [row] = await asService((tx) => tx<{ id: string }[]>`
      insert into public.recordings (organization_id, call_id, provider_recording_sid, status, created_at)
      values (${orgId}, ${id}, ${recording.sid}, 'pending', now() - interval '2 hours') returning id`);
    await reconcile();
    // The requeued job vanishes without settling the row (as a refused payload would).
    await sql()`select graphile_worker.remove_job(${`ingest:${recording.sid}`})`;
    const report = await reconcile();
    expect(report.pendingAbsent).toBe(1);
    expect(await recordingRow(row!.id)).toMatchObject({ status: "failed", error: expect.stringContaining("reconciler queued it again") });
    expect((await eventsOf(id)).map((e) => e.kind)).toEqual(["reconcile.recording_requeued", "recording.failed"]);
  });

  it("changes nothing on a second run", async () => {
    const snapshot = async () => ({
      calls: await sql()`select id, status, provider_call_sid, updated_at, ended_at from public.calls order by id`,
      events: await sql()`select id from public.call_events order by id`,
      recordings: await sql()`select id, status, sha256 from public.recordings order by id`,
      jobs: await sql()`select id from graphile_worker.jobs order by id`,
    });
    const before = await snapshot();
    const report = await reconcile();
    expect(report).toMatchObject({ statusesApplied: 0, adopted: 0, callsNotFound: 0, recordingsQueued: 0, recordingsMissing: 0, errors: 0 });
    expect(await snapshot()).toEqual(before);
  });
});
