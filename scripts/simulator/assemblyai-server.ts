import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { backgroundWork } from "./background";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { SIMULATED_MODEL, transcribe, type ModelResult } from "./assemblyai-model";
import { readSpeechMetadata, riffChunks, transcriberScenarioSchema, type TranscriberScenario } from "./speech-metadata";

/**
 * A stand-in for AssemblyAI's v2 transcript API, for the embedded default and tests. The app
 * reaches it through the real `assemblyai` SDK (`new AssemblyAI({ apiKey, baseUrl })`); it calls
 * the app back with AssemblyAI's webhooks. Production code never imports this.
 *
 *   POST /v2/transcript                     submit (Authorization: the API key); answers queued
 *   GET  /v2/transcript/{id}                the transcript as it stands
 *   GET  /v2/transcript/{id}/redacted-audio { status: "redacted_audio_ready", redacted_audio_url }
 *   GET  /v2/redacted-audio/{id}.wav?token  the redacted audio (no key, like a pre-signed URL)
 * Control (tests and the dev page; no auth, the server listens on loopback):
 *   GET /__control/transcripts   POST /__control/scenarios {match, scenario}   DELETE /__control/scenarios
 *
 * What it transcribes comes only from the audio it downloads from `audio_url`: the speech
 * metadata chunk the carrier stand-in writes into the WAVs it synthesizes (speech-metadata.ts).
 * A download that fails ends the transcript in `error` with a reason worded like AssemblyAI's;
 * a WAV without metadata is silence (no words); anything else is not audio.
 *
 * Webhooks: `{ transcript_id, status }` to `webhook_url` once the transcript is completed or
 * failed, with `webhook_auth_header_name: webhook_auth_header_value` when given (no signature:
 * AssemblyAI has none); then, when redact_pii_audio was asked, `{ redacted_audio_url, status:
 * "redacted_audio_ready" }`. Each is tried up to 10 times until a 2xx; a 4xx stops the retries.
 *
 * Scenarios (per transcript: a control override whose `match` is a substring of audio_url, else
 * the audio's own metadata marker, else the configured default):
 *   success    queued → processing → completed
 *   error      queued → processing → error ("Simulated transcription failure …")
 *   error_once error the first time these exact audio bytes are transcribed, success after
 *              (an admin's retry of a failed transcription then completes)
 *   slow       as success, `slowMs` later
 *   duplicate  as success, every webhook delivered twice
 *
 * Simplifications, on purpose: redacted audio is always WAV (whatever redact_pii_audio_quality
 * asks), with the redacted words' samples zeroed on every channel and the metadata chunks left
 * out (they hold the words); translation is a phrase book with a marked fallback.
 */

export interface AssemblyAISimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  apiKey: string;
  /** What transcripts do unless told otherwise (default "success"). */
  scenario?: TranscriberScenario;
  /** Real ms between queued → processing → completed (default 300). */
  delayMs?: number;
  /** Extra ms a `slow` transcript takes (default 3000). */
  slowMs?: number;
  /** How long the audio download may take (default 60 s: `npm run dev` compiles the storage route on its first request, which on a busy machine took longer than 10 s). */
  fetchTimeoutMs?: number;
  /** How long a webhook may take to answer (AssemblyAI: 10 s). */
  webhookTimeoutMs?: number;
  /** Pause before webhook retry n is n × this (default 250 ms). */
  retryDelayMs?: number;
  log?: (line: string) => void;
}

export interface TranscriberWebhookDelivery {
  url: string;
  body: Record<string, unknown>;
  headerName: string | null;
  attempts: number;
  status: number | undefined;
  ok: boolean;
  error: string | undefined;
  at: string;
}

export interface TranscriptSnapshot {
  id: string;
  status: TranscriptStatus;
  audioUrl: string;
  scenario: TranscriberScenario;
  error: string | null;
  audioFetches: number;
  webhooks: TranscriberWebhookDelivery[];
  settled: boolean;
}

export interface AssemblyAISimulator {
  url: string;
  stop(): Promise<void>;
  /** Transcripts whose audio_url contains `match` play `scenario` from now on. */
  setScenario(match: string, scenario: TranscriberScenario): void;
  clearScenarios(): void;
  transcripts(): TranscriptSnapshot[];
}

type TranscriptStatus = "queued" | "processing" | "completed" | "error";

const WEBHOOK_ATTEMPTS = 10;
const MAX_BODY_BYTES = 1_000_000;
const MAX_AUDIO_BYTES = 200 * 1024 * 1024;

const bool = z.boolean().nullish();
/** The request fields the stand-in acts on; the rest are echoed back as given. */
const submitSchema = z
  .object({
    audio_url: z.string().regex(/^https?:\/\/\S+$/i, "audio_url must be an http(s) URL"),
    webhook_url: z.string().regex(/^https?:\/\/\S+$/i).nullish(),
    webhook_auth_header_name: z.string().min(1).nullish(),
    webhook_auth_header_value: z.string().nullish(),
    speaker_labels: bool,
    multichannel: bool,
    language_detection: bool,
    sentiment_analysis: bool,
    entity_detection: bool,
    redact_pii: bool,
    redact_pii_audio: bool,
    redact_pii_audio_quality: z.enum(["mp3", "wav"]).nullish(),
    redact_pii_policies: z.array(z.string()).nullish(),
    redact_pii_sub: z.enum(["entity_name", "hash"]).nullish(),
    redact_pii_return_unredacted: bool,
    speech_models: z.array(z.string()).nullish(),
    speech_understanding: z
      .object({
        request: z
          .object({ translation: z.object({ target_languages: z.array(z.string().min(2)).min(1) }).passthrough().optional() })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough()
  .refine((p) => !p.redact_pii || (p.redact_pii_policies?.length ?? 0) > 0, "redact_pii_policies must be set when redact_pii is true")
  .refine((p) => !p.redact_pii_audio || p.redact_pii, "redact_pii_audio needs redact_pii")
  .refine((p) => !p.webhook_auth_header_name === !p.webhook_auth_header_value, "webhook_auth_header_name and _value go together");

type SubmitParams = z.infer<typeof submitSchema>;

interface TranscriptRecord {
  id: string;
  params: SubmitParams;
  status: TranscriptStatus;
  scenario: TranscriberScenario;
  error: string | null;
  result: ModelResult | null;
  audioDuration: number | null;
  audioChannels: number | null;
  redactedAudio: Buffer | null;
  redactedToken: string;
  audioFetches: number;
  webhooks: TranscriberWebhookDelivery[];
  settled: boolean;
}

const controlScenarioSchema = z.object({ match: z.string().min(1), scenario: transcriberScenarioSchema });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startAssemblyAISimulator(options: AssemblyAISimulatorOptions): Promise<AssemblyAISimulator> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const delayMs = options.delayMs ?? 300;
  const overrides = new Map<string, TranscriberScenario>();
  const records = new Map<string, TranscriptRecord>();
  /** SHA-256 of audio that an error_once transcript has already failed on. */
  const failedOnce = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      log(`assemblyai simulator error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      sendJson(res, 500, { error: "Internal server error" });
    });
  });
  const background = backgroundWork(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? "/", "http://simulator.invalid");
    const path = requestUrl.pathname;
    const method = req.method ?? "GET";

    if (path === "/" && method === "GET") return sendJson(res, 200, { simulator: "AssemblyAI v2 (Verbatim transcriber simulator)" });
    if (path.startsWith("/__control/")) return control(req, res, path, method);

    const media = /^\/v2\/redacted-audio\/([^/]+)\.wav$/.exec(path);
    if (media && (method === "GET" || method === "HEAD")) {
      const record = records.get(media[1]!);
      const token = requestUrl.searchParams.get("token") ?? "";
      if (!record?.redactedAudio || !sameSecret(token, record.redactedToken)) throw new HttpError(404, "Not found");
      res.writeHead(200, { "Content-Type": "audio/wav", "Content-Length": record.redactedAudio.length, "Cache-Control": "no-store" });
      res.end(method === "HEAD" ? undefined : record.redactedAudio);
      return;
    }

    if (!sameSecret(String(req.headers.authorization ?? ""), options.apiKey)) {
      throw new HttpError(401, "Authentication error, API token missing/invalid");
    }
    if (path === "/v2/transcript" && method === "POST") return submit(req, res);
    const one = /^\/v2\/transcript\/([^/]+)$/.exec(path);
    if (one && method === "GET") return sendJson(res, 200, transcriptJson(found(one[1]!)));
    const redacted = /^\/v2\/transcript\/([^/]+)\/redacted-audio$/.exec(path);
    if (redacted && method === "GET") {
      const record = found(redacted[1]!);
      if (!record.params.redact_pii_audio) throw new HttpError(400, "Redacted audio was not requested for this transcript (redact_pii_audio)");
      if (!record.redactedAudio) throw new HttpError(400, `Redacted audio is not ready: the transcript is ${record.status}`);
      return sendJson(res, 200, { status: "redacted_audio_ready", redacted_audio_url: redactedAudioUrl(record) });
    }
    throw new HttpError(404, "Not found");
  }

  function found(id: string): TranscriptRecord {
    const record = records.get(id);
    if (!record) throw new HttpError(404, "Transcript lookup error, transcript id not found");
    return record;
  }

  const redactedAudioUrl = (record: TranscriptRecord) => `${url}/v2/redacted-audio/${record.id}.wav?token=${record.redactedToken}`;

  async function submit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      throw new HttpError(400, "Request body must be JSON");
    }
    const parsed = submitSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, z.prettifyError(parsed.error));
    const record: TranscriptRecord = {
      id: randomUUID(),
      params: parsed.data,
      status: "queued",
      scenario: options.scenario ?? "success",
      error: null,
      result: null,
      audioDuration: null,
      audioChannels: null,
      redactedAudio: null,
      redactedToken: randomBytes(16).toString("hex"),
      audioFetches: 0,
      webhooks: [],
      settled: false,
    };
    records.set(record.id, record);
    log(`transcript ${record.id}: queued for ${record.params.audio_url}`);
    sendJson(res, 200, transcriptJson(record));
    background.start(work(record), (error) => log(`transcript ${record.id}: crashed: ${(error as Error).stack ?? String(error)}`), () => {
      record.settled = true;
    });
  }

  function scenarioFor(record: TranscriptRecord, marker: TranscriberScenario | undefined): TranscriberScenario {
    for (const [match, scenario] of overrides) if (record.params.audio_url.includes(match)) return scenario;
    return marker ?? options.scenario ?? "success";
  }

  async function work(record: TranscriptRecord): Promise<void> {
    const signal = background.signal;
    await sleep(delayMs, undefined, { signal });
    record.status = "processing";

    const audio = await download(record);
    const metadata = audio ? readSpeechMetadata(audio) : null;
    record.scenario = scenarioFor(record, metadata?.transcriber?.scenario);
    if (record.scenario === "slow") await sleep(options.slowMs ?? 3000, undefined, { signal });
    await sleep(delayMs, undefined, { signal });

    if (audio) {
      const header = parseWavHeader(audio);
      const duration = header ? wavDurationSeconds(header, audio.length) : null;
      if (!header || duration === null || header.formatTag !== 1) {
        fail(record, `Transcoding failed. File does not appear to contain audio. File type is ${sniff(audio)}.`);
      } else if (record.scenario === "error" || (record.scenario === "error_once" && firstFailure(audio))) {
        fail(record, `Simulated transcription failure (transcriber simulator scenario: ${record.scenario})`);
      } else {
        record.audioDuration = Math.round(duration * 1000) / 1000;
        record.audioChannels = header.channels;
        const translation = record.params.speech_understanding?.request?.translation;
        record.result = transcribe(metadata ?? { version: 1, timing: "none", turns: [] }, header.channels, {
          ...record.params,
          target_languages: translation?.target_languages,
        });
        if (record.params.redact_pii && record.params.redact_pii_audio) {
          record.redactedAudio = silence(audio, record.result.redactedSpans);
        }
        record.status = "completed";
        log(`transcript ${record.id}: completed (${record.result.words.length} words)`);
      }
    }

    const copies = record.scenario === "duplicate" ? 2 : 1;
    await notify(record, { transcript_id: record.id, status: record.status }, copies);
    if (record.redactedAudio) await notify(record, { redacted_audio_url: redactedAudioUrl(record), status: "redacted_audio_ready" }, copies);
  }

  function firstFailure(audio: Buffer): boolean {
    const hash = createHash("sha256").update(audio).digest("hex");
    if (failedOnce.has(hash)) return false;
    failedOnce.add(hash);
    return true;
  }

  function fail(record: TranscriptRecord, reason: string): void {
    record.status = "error";
    record.error = reason;
    log(`transcript ${record.id}: error: ${reason}`);
  }

  async function download(record: TranscriptRecord): Promise<Buffer | null> {
    const audioUrl = record.params.audio_url;
    const reason = `Download error, unable to download ${audioUrl}. Please make sure the file exists and is accessible from the internet.`;
    record.audioFetches += 1;
    try {
      const res = await fetch(audioUrl, {
        redirect: "follow",
        headers: { "User-Agent": "AssemblyAI-Simulator/1.0 (Verbatim)" },
        signal: AbortSignal.any([background.signal, AbortSignal.timeout(options.fetchTimeoutMs ?? 60_000)]),
      });
      if (!res.ok) {
        await res.body?.cancel();
        fail(record, `${reason} (HTTP ${res.status})`);
        return null;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (bytes.length > MAX_AUDIO_BYTES) {
        fail(record, "File is too large to transcribe");
        return null;
      }
      return bytes;
    } catch (error) {
      if (background.signal.aborted) throw error;
      fail(record, reason);
      return null;
    }
  }

  async function notify(record: TranscriptRecord, body: Record<string, unknown>, copies: number): Promise<void> {
    const target = record.params.webhook_url;
    if (!target) return;
    for (let copy = 0; copy < copies; copy += 1) {
      const delivery = await deliver(target, body, record.params.webhook_auth_header_name ?? null, record.params.webhook_auth_header_value ?? null);
      record.webhooks.push(delivery);
      if (!delivery.ok) log(`transcript ${record.id}: webhook to ${target} given up after ${delivery.attempts} attempts (${delivery.error})`);
    }
  }

  async function deliver(target: string, body: Record<string, unknown>, headerName: string | null, headerValue: string | null): Promise<TranscriberWebhookDelivery> {
    const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": "AssemblyAI-Webhook-Simulator/1.0 (Verbatim)" };
    if (headerName && headerValue) headers[headerName] = headerValue;
    const text = JSON.stringify(body);
    let last: Omit<TranscriberWebhookDelivery, "attempts" | "at"> = { url: target, body, headerName, status: undefined, ok: false, error: undefined };
    let attempts = 0;
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt += 1) {
      if (attempt > 1) await sleep((options.retryDelayMs ?? 250) * (attempt - 1), undefined, { signal: background.signal });
      attempts = attempt;
      try {
        const res = await fetch(target, {
          method: "POST",
          headers,
          body: text,
          signal: AbortSignal.any([background.signal, AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000)]),
        });
        await res.arrayBuffer();
        last = { ...last, status: res.status, ok: res.ok, error: res.ok ? undefined : `HTTP ${res.status}` };
        // 2xx is delivered; a 4xx is the receiver refusing it for good.
        if (res.ok || (res.status >= 400 && res.status < 500)) break;
      } catch (error) {
        if (background.signal.aborted) throw error;
        const err = error as Error & { cause?: { code?: string } };
        last = { ...last, status: undefined, ok: false, error: err.name === "TimeoutError" ? "no answer in time" : (err.cause?.code ?? err.message) };
      }
    }
    return { ...last, attempts, at: new Date().toISOString() };
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (path === "/__control/transcripts" && method === "GET") return sendJson(res, 200, snapshots());
    if (path === "/__control/scenarios" && method === "POST") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        throw new HttpError(400, "Body must be JSON: { match, scenario }");
      }
      const parsed = controlScenarioSchema.safeParse(body);
      if (!parsed.success) throw new HttpError(400, z.prettifyError(parsed.error));
      overrides.set(parsed.data.match, parsed.data.scenario);
      return sendJson(res, 200, parsed.data);
    }
    if (path === "/__control/scenarios" && method === "DELETE") {
      overrides.clear();
      res.writeHead(204).end();
      return;
    }
    throw new HttpError(404, "Not found");
  }

  function snapshots(): TranscriptSnapshot[] {
    return [...records.values()].map((r) => ({
      id: r.id,
      status: r.status,
      audioUrl: r.params.audio_url,
      scenario: r.scenario,
      error: r.error,
      audioFetches: r.audioFetches,
      webhooks: r.webhooks.map((w) => ({ ...w, body: { ...w.body } })),
      settled: r.settled,
    }));
  }

  return {
    url,
    stop: background.stop,
    setScenario(match, scenario) {
      overrides.set(match, transcriberScenarioSchema.parse(scenario));
    },
    clearScenarios() {
      overrides.clear();
    },
    transcripts: snapshots,
  };
}

/** The transcript object as AssemblyAI's GET /v2/transcript/{id} shapes it. */
function transcriptJson(record: TranscriptRecord): Record<string, unknown> {
  const p = record.params;
  const r = record.result;
  const done = record.status === "completed" && r !== null;
  const translation = p.speech_understanding?.request?.translation;
  // Echo what was asked, minus the secret header value (AssemblyAI never returns it).
  const { webhook_auth_header_value: _secret, ...echoed } = p;
  void _secret;
  return {
    ...echoed,
    id: record.id,
    status: record.status,
    ...(record.error ? { error: record.error } : {}),
    audio_url: p.audio_url,
    acoustic_model: SIMULATED_MODEL,
    language_model: SIMULATED_MODEL,
    speech_model: null,
    speech_models: p.speech_models ?? null,
    speech_model_used: done ? (p.speech_models?.[0] ?? SIMULATED_MODEL) : null,
    punctuate: true,
    format_text: true,
    speaker_labels: p.speaker_labels ?? false,
    multichannel: p.multichannel ?? false,
    audio_channels: done && p.multichannel ? record.audioChannels : undefined,
    language_detection: p.language_detection ?? false,
    sentiment_analysis: p.sentiment_analysis ?? false,
    entity_detection: p.entity_detection ?? false,
    redact_pii: p.redact_pii ?? false,
    redact_pii_audio: p.redact_pii_audio ?? false,
    redact_pii_policies: p.redact_pii_policies ?? null,
    redact_pii_sub: p.redact_pii_sub ?? (p.redact_pii ? "entity_name" : undefined),
    webhook_url: p.webhook_url ?? null,
    webhook_auth: Boolean(p.webhook_auth_header_name),
    webhook_auth_header_name: p.webhook_auth_header_name ?? null,
    webhook_status_code: record.webhooks[0]?.status ?? null,
    auto_highlights: false,
    summarization: false,
    audio_duration: done ? record.audioDuration : null,
    text: done ? r.text : null,
    words: done ? r.words : null,
    utterances: done ? r.utterances : null,
    confidence: done ? r.confidence : null,
    language_code: done ? r.language_code : undefined,
    language_confidence: done ? r.language_confidence : null,
    sentiment_analysis_results: done ? r.sentiment_analysis_results : null,
    entities: done ? r.entities : null,
    ...(done && r.unredacted ? { unredacted_text: r.unredacted.text, unredacted_words: r.unredacted.words, unredacted_utterances: r.unredacted.utterances } : {}),
    ...(translation
      ? {
          speech_understanding: {
            request: p.speech_understanding?.request,
            response: { translation: { status: done ? "success" : record.status === "error" ? "error" : "pending" } },
          },
          ...(done && r.translated_texts ? { translated_texts: r.translated_texts } : {}),
        }
      : {}),
  };
}

/** A plain PCM WAV (`fmt ` and `data` only) with the samples over `spans` zeroed. */
function silence(wav: Buffer, spans: Array<{ start: number; end: number }>): Buffer {
  const header = parseWavHeader(wav)!;
  const chunks = riffChunks(wav);
  const fmt = chunks.find((c) => c.id === "fmt ")!;
  const dataOffset = header.dataOffset!;
  const dataBytes = Math.min(header.dataBytes ?? wav.length - dataOffset, wav.length - dataOffset);
  const samples = Buffer.from(wav.subarray(dataOffset, dataOffset + dataBytes));
  const frame = header.blockAlign;
  for (const span of spans) {
    const from = Math.max(0, Math.floor((span.start / 1000) * header.sampleRate)) * frame;
    const to = Math.min(samples.length, Math.ceil((span.end / 1000) * header.sampleRate) * frame);
    if (to > from) samples.fill(0, from, to);
  }
  const fmtChunk = wav.subarray(fmt.offset, fmt.body + fmt.size + (fmt.size % 2));
  const dataHead = Buffer.alloc(8);
  dataHead.write("data", 0, "ascii");
  dataHead.writeUInt32LE(samples.length, 4);
  const pad = samples.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  const riff = Buffer.alloc(12);
  riff.write("RIFF", 0, "ascii");
  riff.writeUInt32LE(4 + fmtChunk.length + 8 + samples.length + pad.length, 4);
  riff.write("WAVE", 8, "ascii");
  return Buffer.concat([riff, fmtChunk, dataHead, samples, pad]);
}

function sniff(bytes: Buffer): string {
  const head = bytes.subarray(0, 64).toString("latin1").trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "text/html";
  if (head.startsWith("{") || head.startsWith("[")) return "application/json";
  if (bytes.subarray(0, 4).toString("latin1") === "RIFF") return "audio/x-wav (not PCM)";
  return "application/octet-stream";
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
