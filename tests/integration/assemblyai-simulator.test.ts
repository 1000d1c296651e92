import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { RestClient } from "@signalwire/compatibility-api";
import { AssemblyAI } from "assemblyai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPLY, readSpeechMetadata, speechWav, startAssemblyAISimulator, writeSpeechMetadata, type AssemblyAISimulator, type SpeechAudio } from "@/scripts/simulator";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { originHttpClient } from "@/lib/telephony/origin-http-client";
import { API_TOKEN, PROJECT_ID, startTestCarrier } from "@/tests/support/signalwire";
import type { CarrierSimulator } from "@/scripts/simulator";
import { riffChunks } from "@/scripts/simulator/speech-metadata";

/**
 * The AssemblyAI stand-in, driven through the real `assemblyai` SDK (baseUrl pointed at it),
 * transcribing real espeak-ng speech that a small audio server hands out, and calling back a
 * small stand-in app that records every webhook with its headers.
 */

const API_KEY = "aai_test_key_0123456789";
const AUTH_HEADER = "X-Verbatim-Webhook-Secret";
const AUDIO_DIR = path.resolve(".test-data/carrier-audio");
const CALLER = "Hi, I am calling to ask whether you have any appointments next week.";
const CALLEE = "Hello, this is Maria at the front desk. Sorry, we are fully booked. Call me back at 312 555 0142.";

let sim: AssemblyAISimulator;
let carrier: CarrierSimulator | undefined;
let audioServer: Server;
let audioBase: string;
let app: Server;
let appUrl: string;
const audioFiles = new Map<string, Buffer>();
const audioGets = new Map<string, number>();

interface Hook {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}
const hooks: Hook[] = [];
/** Webhook paths that answer with these statuses, in turn, before answering 200. */
const answers = new Map<string, number[]>();

let stereo: SpeechAudio;
let mono: SpeechAudio;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function serve(name: string, bytes: Buffer): string {
  audioFiles.set(`/${name}`, bytes);
  return `${audioBase}/${name}`;
}

const client = (apiKey = API_KEY) => new AssemblyAI({ apiKey, baseUrl: sim.url });

function hooksFor(callId: string): Hook[] {
  return hooks.filter((h) => h.query.get("call") === callId);
}

async function settled(id: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = sim.transcripts().find((t) => t.id === id);
    if (snapshot?.settled) return snapshot;
    if (Date.now() > deadline) throw new Error(`transcript ${id} did not settle: ${JSON.stringify(snapshot)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function submitParams(audioUrl: string, callId: string, extra: Record<string, unknown> = {}) {
  return {
    audio_url: audioUrl,
    webhook_url: `${appUrl}/api/webhooks/assemblyai?call=${callId}&artifact=transcript`,
    webhook_auth_header_name: AUTH_HEADER,
    webhook_auth_header_value: `secret-${callId}`,
    speech_models: ["universal-3-pro", "universal-2"],
    ...extra,
  };
}

beforeAll(async () => {
  audioServer = createServer((req, res) => {
    const file = audioFiles.get(req.url ?? "");
    audioGets.set(req.url ?? "", (audioGets.get(req.url ?? "") ?? 0) + 1);
    if (!file) return void res.writeHead(404, { "Content-Type": "text/plain" }).end("no such recording");
    res.writeHead(200, { "Content-Type": "audio/wav", "Content-Length": file.length }).end(file);
  });
  audioBase = await listen(audioServer);
  app = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed = new URL(req.url ?? "/", appUrl);
    const raw = Buffer.concat(chunks).toString("utf8");
    const body = String(req.headers["content-type"]).startsWith("application/json")
      ? (JSON.parse(raw) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(raw));
    hooks.push({ path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body });
    const queue = answers.get(parsed.searchParams.get("call") ?? "");
    const status = queue?.shift() ?? 200;
    res.writeHead(status).end();
  });
  appUrl = await listen(app);
  sim = await startAssemblyAISimulator({ port: 0, apiKey: API_KEY, delayMs: 5, slowMs: 800, retryDelayMs: 5 });
  stereo = await speechWav([CALLER, CALLEE], { channels: 2, audioDir: AUDIO_DIR });
  mono = await speechWav([CALLER, CALLEE], { channels: 1, audioDir: AUDIO_DIR });
});

afterAll(async () => {
  await carrier?.stop();
  await sim?.stop();
  await new Promise((resolve) => app?.close(resolve));
  await new Promise((resolve) => audioServer?.close(resolve));
});

describe("speech metadata in synthesized WAVs", () => {
  it("carries each turn's words and timings, and leaves the duration as the data chunk measures it", () => {
    // Counted from the `data` chunk alone (frames of 2 channels × 16 bits at 8 kHz), not through the header parser.
    const data = riffChunks(stereo.bytes).find((c) => c.id === "data")!;
    const soxSeconds = data.size / (2 * 2 * 8000);
    expect(wavDurationSeconds(parseWavHeader(stereo.bytes)!, stereo.bytes.length)).toBeCloseTo(soxSeconds, 3);
    expect(stereo.durationSeconds).toBeCloseTo(soxSeconds, 3);

    const meta = readSpeechMetadata(stereo.bytes)!;
    expect(meta).toEqual(stereo.speech);
    expect(meta.turns.map((t) => [t.channel, t.speaker, t.text])).toEqual([
      [1, "caller", CALLER],
      [2, "callee", CALLEE],
    ]);
    for (const turn of meta.turns) {
      expect(turn.words.map((w) => w.text).join(" ")).toBe(turn.text);
      for (const [i, w] of turn.words.entries()) {
        expect(w.startMs).toBeLessThanOrEqual(w.endMs);
        if (i > 0) expect(w.startMs).toBeGreaterThanOrEqual(turn.words[i - 1]!.endMs);
      }
      expect(turn.endMs).toBeLessThanOrEqual(soxSeconds * 1000);
    }
    // The callee answers after the caller's turn.
    expect(meta.turns[1]!.startMs).toBeGreaterThan(meta.turns[0]!.endMs);
    // And the words sit on speech: the callee's channel is loud somewhere inside each of its words.
    const header = parseWavHeader(stereo.bytes)!;
    for (const w of meta.turns[1]!.words) {
      let peak = 0;
      for (let ms = w.startMs; ms < w.endMs; ms += 1) {
        const frame = Math.floor((ms / 1000) * header.sampleRate);
        peak = Math.max(peak, Math.abs(stereo.bytes.readInt16LE(header.dataOffset! + frame * 4 + 2)));
      }
      expect(peak, `speech under "${w.text}"`).toBeGreaterThan(1000);
    }
  });
});

describe("AssemblyAI simulator through the real SDK", () => {
  it("transcribes dual-channel audio it fetched: webhook with the chosen header, then words and utterances per channel", async () => {
    const audioUrl = serve("stereo.wav", stereo.bytes);
    const queued = await client().transcripts.submit(
      submitParams(audioUrl, "c1", { multichannel: true, language_detection: true, sentiment_analysis: true, entity_detection: true }),
    );
    expect(queued).toMatchObject({ status: "queued", audio_url: audioUrl, multichannel: true, webhook_auth: true, webhook_auth_header_name: AUTH_HEADER });
    expect(JSON.stringify(queued)).not.toContain("secret-c1");
    await settled(queued.id);

    const [hook] = hooksFor("c1");
    expect(hooksFor("c1")).toHaveLength(1);
    expect(hook!.headers[AUTH_HEADER.toLowerCase()]).toBe("secret-c1");
    expect(hook!.headers["content-type"]).toBe("application/json");
    expect(hook!.body).toEqual({ transcript_id: queued.id, status: "completed" });
    expect(hook!.query.get("artifact")).toBe("transcript");
    expect(audioGets.get("/stereo.wav")).toBe(1);

    const t = await client().transcripts.get(queued.id);
    expect(t.status).toBe("completed");
    expect(t.audio_duration).toBeCloseTo(stereo.durationSeconds, 2);
    expect(t.audio_channels).toBe(2);
    expect(t.language_code).toBe("en");
    expect(t.utterances!.map((u) => [u.speaker, u.channel, u.text])).toEqual([
      ["1", "1", CALLER],
      ["2", "2", CALLEE],
    ]);
    expect(t.text).toBe(`${CALLER} ${CALLEE}`);
    const durationMs = t.audio_duration! * 1000;
    for (const w of t.words!) {
      expect(w.start).toBeGreaterThanOrEqual(0);
      expect(w.end).toBeGreaterThanOrEqual(w.start);
      expect(w.end).toBeLessThanOrEqual(durationMs);
      expect(w.confidence).toBeGreaterThan(0.8);
      expect(["1", "2"]).toContain(w.channel);
    }
    // Timings are the audio's own: utterances span the turns the file says were spoken.
    expect(t.utterances![1]!.start).toBe(stereo.speech.turns[1]!.startMs);
    expect(t.utterances![1]!.end).toBe(stereo.speech.turns[1]!.endMs);
    expect(t.sentiment_analysis_results!.map((s) => [s.speaker, s.sentiment])).toEqual([
      ["1", "NEUTRAL"],
      ["2", "NEUTRAL"],
      ["2", "NEGATIVE"],
      ["2", "NEUTRAL"],
    ]);
    expect(t.entities!.map((e) => [e.entity_type, e.text])).toEqual([
      ["person_name", "Maria"],
      ["phone_number", "312 555 0142"],
    ]);
    const phone = t.entities!.find((e) => e.entity_type === "phone_number")!;
    const spoken = stereo.speech.turns[1]!.words.filter((w) => ["312", "555", "0142."].includes(w.text));
    expect([phone.start, phone.end]).toEqual([spoken[0]!.startMs, spoken[2]!.endMs]);
  });

  it("labels speakers A and B on mono audio with speaker_labels, and leaves utterances out without them", async () => {
    const audioUrl = serve("mono.wav", mono.bytes);
    const labelled = await client().transcripts.submit(submitParams(audioUrl, "c2", { speaker_labels: true }));
    const plain = await client().transcripts.submit(submitParams(audioUrl, "c2b"));
    await settled(labelled.id);
    await settled(plain.id);
    const t = await client().transcripts.get(labelled.id);
    expect(t.utterances!.map((u) => [u.speaker, u.text])).toEqual([
      ["A", CALLER],
      ["B", CALLEE],
    ]);
    expect(t.utterances![0]!.channel).toBeUndefined();
    const p = await client().transcripts.get(plain.id);
    expect(p.utterances).toBeNull();
    expect(p.words![0]!.speaker).toBeNull();
    expect(p.text).toBe(t.text);
  });

  it("transcribes only what the fetched audio holds (no side channel to the carrier)", async () => {
    const rewritten = writeSpeechMetadata(mono.bytes, {
      version: 1,
      timing: "hand-written for this test",
      turns: [{ channel: 1, speaker: "callee", text: "Completely different words.", startMs: 100, endMs: 900, words: [
        { text: "Completely", startMs: 100, endMs: 400 },
        { text: "different", startMs: 420, endMs: 700 },
        { text: "words.", startMs: 720, endMs: 900 },
      ] }],
    });
    const submitted = await client().transcripts.submit(submitParams(serve("rewritten.wav", rewritten), "c3"));
    await settled(submitted.id);
    expect((await client().transcripts.get(submitted.id)).text).toBe("Completely different words.");
  });

  it("ends in error with a download reason when audio_url cannot be fetched, and says so by webhook", async () => {
    const missing = await client().transcripts.submit(submitParams(`${audioBase}/no-such-recording.wav`, "c4"));
    const closed = await client().transcripts.submit(submitParams("http://127.0.0.1:9/recording.wav", "c4b"));
    await settled(missing.id);
    await settled(closed.id);
    for (const [id, call] of [[missing.id, "c4"], [closed.id, "c4b"]] as const) {
      const t = await client().transcripts.get(id);
      expect(t.status).toBe("error");
      expect(t.error).toMatch(/^Download error, unable to download http:\/\/127\.0\.0\.1:\d+\/.*recording\.wav/);
      expect(t.text).toBeNull();
      expect(hooksFor(call).map((h) => h.body)).toEqual([{ transcript_id: id, status: "error" }]);
    }
    // Not audio at all.
    const html = await client().transcripts.submit(submitParams(serve("page.html", Buffer.from("<!DOCTYPE html><p>login</p>")), "c4c"));
    await settled(html.id);
    expect((await client().transcripts.get(html.id)).error).toMatch(/File does not appear to contain audio. File type is text\/html/);
  });

  it("refuses a wrong or missing API key with 401", async () => {
    await expect(client("not-the-key").transcripts.submit(submitParams(serve("x.wav", mono.bytes), "c5"))).rejects.toThrow(/Authentication error/);
    const res = await fetch(`${sim.url}/v2/transcript`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(hooksFor("c5")).toEqual([]);
  });

  it("translates through speech_understanding into translated_texts, phrase book first, marked fallback otherwise", async () => {
    const reply = await speechWav(DEFAULT_REPLY, { channels: 1, audioDir: AUDIO_DIR });
    const params = { speech_understanding: { request: { translation: { target_languages: ["es", "de"] } } } };
    const known = await client().transcripts.submit(submitParams(serve("reply.wav", reply.bytes), "c6", params));
    const unknown = await client().transcripts.submit(submitParams(serve("mono-2.wav", mono.bytes), "c6b", params));
    await settled(known.id);
    await settled(unknown.id);
    const t = await client().transcripts.get(known.id);
    expect(t.translated_texts).toEqual({
      es: "Hola, habla la recepción. Sí, tenemos citas el martes.",
      de: "[de] Hello, this is the front desk. [de] Yes, we have appointments on Tuesday.",
    });
    expect(t.speech_understanding?.response?.translation?.status).toBe("success");
    const u = await client().transcripts.get(unknown.id);
    expect(u.translated_texts!.es).toContain("Hola, llamo para preguntar si tienen citas la próxima semana.");
    expect(u.translated_texts!.es).toContain("[es] Call me back at 312 555 0142.");
  });

  it("redacts PII in the text and silences it in the redacted audio, which it announces by webhook", async () => {
    const audioUrl = serve("redact.wav", stereo.bytes);
    const submitted = await client().transcripts.submit(
      submitParams(audioUrl, "c7", {
        multichannel: true,
        entity_detection: true,
        redact_pii: true,
        redact_pii_audio: true,
        redact_pii_policies: ["phone_number", "person_name"],
        redact_pii_return_unredacted: true,
      }),
    );
    await settled(submitted.id);
    const t = await client().transcripts.get(submitted.id);
    expect(t.text).toContain("this is [PERSON_NAME] at the front desk");
    expect(t.text).toContain("Call me back at [PHONE_NUMBER].");
    expect(JSON.stringify({ text: t.text, words: t.words, utterances: t.utterances, entities: t.entities })).not.toMatch(/Maria|0142|555/);
    expect(t.unredacted_text).toBe(`${CALLER} ${CALLEE}`);

    const [completed, ready] = hooksFor("c7");
    expect(completed!.body).toEqual({ transcript_id: submitted.id, status: "completed" });
    expect(ready!.body).toMatchObject({ status: "redacted_audio_ready" });
    expect(ready!.headers[AUTH_HEADER.toLowerCase()]).toBe("secret-c7");
    const info = await client().transcripts.redactedAudio(submitted.id);
    expect(info).toEqual({ status: "redacted_audio_ready", redacted_audio_url: ready!.body.redacted_audio_url });

    const redacted = Buffer.from(await (await client().transcripts.redactedAudioFile(submitted.id)).arrayBuffer());
    const original = stereo.bytes;
    const header = parseWavHeader(redacted)!;
    expect(header).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(wavDurationSeconds(header, redacted.length)).toBeCloseTo(stereo.durationSeconds, 3);
    expect(redacted.includes(Buffer.from("Maria"))).toBe(false); // no metadata chunk left behind
    const sampleAt = (bytes: Buffer, offset: number, ms: number, channel: number) =>
      bytes.readInt16LE(offset + Math.floor((ms / 1000) * 8000) * 4 + channel * 2);
    const origOffset = parseWavHeader(original)!.dataOffset!;
    const phone = t.entities!.find((e) => e.entity_type === "phone_number")!;
    let differs = 0;
    for (let ms = phone.start; ms < phone.end; ms += 1) {
      expect(sampleAt(redacted, header.dataOffset!, ms, 1)).toBe(0);
      if (sampleAt(original, origOffset, ms, 1) !== 0) differs += 1;
    }
    expect(differs).toBeGreaterThan((phone.end - phone.start) / 4);
    // Outside the entities the audio is untouched.
    const caller = stereo.speech.turns[0]!;
    for (let ms = caller.startMs; ms < caller.endMs; ms += 7) {
      expect(sampleAt(redacted, header.dataOffset!, ms, 0)).toBe(sampleAt(original, origOffset, ms, 0));
    }
  });

  it("replaces with hashes when redact_pii_sub is hash", async () => {
    const submitted = await client().transcripts.submit(
      submitParams(serve("hash.wav", mono.bytes), "c7b", { redact_pii: true, redact_pii_policies: ["phone_number"], redact_pii_sub: "hash" }),
    );
    await settled(submitted.id);
    const t = await client().transcripts.get(submitted.id);
    expect(t.text).toContain("Call me back at ### ### ####.");
    expect(t.text).toContain("Maria");
  });

  it("delivers every webhook twice in the duplicate scenario", async () => {
    sim.setScenario("dup.wav", "duplicate");
    const submitted = await client().transcripts.submit(submitParams(serve("dup.wav", mono.bytes), "c8"));
    const snapshot = await settled(submitted.id);
    expect(snapshot.scenario).toBe("duplicate");
    expect(hooksFor("c8").map((h) => h.body)).toEqual([
      { transcript_id: submitted.id, status: "completed" },
      { transcript_id: submitted.id, status: "completed" },
    ]);
  });

  it("stays processing for a while in the slow scenario chosen by the audio's own marker", async () => {
    const marked = writeSpeechMetadata(mono.bytes, { ...mono.speech, transcriber: { scenario: "slow" } });
    const started = Date.now();
    const submitted = await client().transcripts.submit(submitParams(serve("slow.wav", marked), "c9"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await client().transcripts.get(submitted.id)).status).toBe("processing");
    expect(hooksFor("c9")).toEqual([]);
    await settled(submitted.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect((await client().transcripts.get(submitted.id)).status).toBe("completed");
    expect(hooksFor("c9")).toHaveLength(1);
  });

  it("fails in the error scenario set through the control API, which also lists transcripts", async () => {
    const set = await fetch(`${sim.url}/__control/scenarios`, { method: "POST", body: JSON.stringify({ match: "err.wav", scenario: "error" }) });
    expect(set.status).toBe(200);
    expect((await fetch(`${sim.url}/__control/scenarios`, { method: "POST", body: JSON.stringify({ match: "x", scenario: "nope" }) })).status).toBe(400);
    const submitted = await client().transcripts.submit(submitParams(serve("err.wav", mono.bytes), "c10"));
    await settled(submitted.id);
    const t = await client().transcripts.get(submitted.id);
    expect(t).toMatchObject({ status: "error", error: expect.stringMatching(/Simulated transcription failure/) });
    expect(hooksFor("c10").map((h) => h.body.status)).toEqual(["error"]);
    const listed = (await (await fetch(`${sim.url}/__control/transcripts`)).json()) as Array<{ id: string; status: string; audioFetches: number }>;
    expect(listed.find((l) => l.id === submitted.id)).toMatchObject({ status: "error", audioFetches: 1 });
    expect((await fetch(`${sim.url}/__control/scenarios`, { method: "DELETE" })).status).toBe(204);
  });

  it("retries a webhook answered with 5xx, up to success, and stops at the first 4xx", async () => {
    answers.set("c11", [500, 503]);
    answers.set("c11b", [401, 500]);
    const retried = await client().transcripts.submit(submitParams(serve("r1.wav", mono.bytes), "c11"));
    const refused = await client().transcripts.submit(submitParams(serve("r2.wav", mono.bytes), "c11b"));
    const a = await settled(retried.id);
    const b = await settled(refused.id);
    expect(hooksFor("c11")).toHaveLength(3);
    expect(a.webhooks).toEqual([expect.objectContaining({ ok: true, attempts: 3, status: 200 })]);
    expect(hooksFor("c11b")).toHaveLength(1);
    expect(b.webhooks).toEqual([expect.objectContaining({ ok: false, attempts: 1, status: 401 })]);
  });

  it("answers 404 for an unknown transcript id and 400 for a request without audio_url", async () => {
    await expect(client().transcripts.get("00000000-0000-4000-8000-000000000000")).rejects.toThrow(/transcript id not found/);
    await expect(client().transcripts.submit({ audio_url: "" } as never)).rejects.toThrow(/audio_url/);
  });

  it("transcribes a recording straight from the carrier stand-in's RecordingUrl; error_once fails, the retry completes", async () => {
    carrier = await startTestCarrier({ retryDelayMs: 5 });
    const to = "+15005550008"; // reserved: answered, recording marked error_once
    const carrierClient = RestClient(PROJECT_ID, API_TOKEN, { signalwireSpaceUrl: "example.signalwire.com", httpClient: originHttpClient(carrier.url) });
    carrier.setScenario(to, { kind: "answered", reply: "Thank you for calling. How can I help you?", transcription: "error_once" });
    const call = await carrierClient.calls.create({
      to,
      from: "+12025550100",
      twiml: "<Response><Say>Hello, this is a test call.</Say></Response>",
      record: true,
      recordingChannels: "dual",
      recordingStatusCallback: `${appUrl}/api/webhooks/signalwire/recording?call=e2e-rec`,
      recordingStatusCallbackEvent: ["completed"],
    });
    const deadline = Date.now() + 15_000;
    while (hooksFor("e2e-rec").length === 0) {
      if (Date.now() > deadline) throw new Error(`no recording callback: ${JSON.stringify(carrier.calls().find((c) => c.sid === call.sid))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const recordingUrl = String(hooksFor("e2e-rec")[0]!.body.RecordingUrl);

    const first = await client().transcripts.submit(submitParams(`${recordingUrl}.wav`, "e2e-1", { multichannel: true }));
    await settled(first.id);
    expect(await client().transcripts.get(first.id)).toMatchObject({ status: "error", error: expect.stringMatching(/error_once/) });
    const retry = await client().transcripts.submit(submitParams(`${recordingUrl}.wav`, "e2e-2", { multichannel: true }));
    await settled(retry.id);
    const t = await client().transcripts.get(retry.id);
    expect(t.status).toBe("completed");
    // Turn by turn: the called party answers the phone, hears our line, and says the rest.
    expect(t.utterances!.map((u) => [u.channel, u.text])).toEqual([
      ["2", "Thank you for calling."],
      ["1", "Hello, this is a test call."],
      ["2", "How can I help you?"],
    ]);
    // Both transcripts fetched the carrier's audio themselves.
    const recordingSid = String(hooksFor("e2e-rec")[0]!.body.RecordingSid);
    expect(carrier.served(recordingSid)!.downloads).toBe(2);
  });
});
