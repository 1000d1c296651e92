import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { backgroundWork } from "./background";
import {
  callResource,
  errorBody,
  recordingResource,
  TERMINAL_STATUSES,
  type CallSnapshot,
  type CallStatus,
  type RecordingRecord,
  type SimulatedCall,
} from "./call-model";
import { runCall, type RunnerContext } from "./call-runner";
import { scenarioFor, scenarioSchema, type Scenario } from "./scenarios";
import type { Synthesizer } from "./speech-synth";
import { methodOf } from "./webhook-sender";

/**
 * A stand-in for SignalWire's compatibility (Twilio-style) REST API and its webhooks, for the
 * embedded default and tests. The app talks to it through the real SDK, whose `httpClient` is
 * pointed here (lib/telephony/origin-http-client.ts); it calls the app back with webhooks signed
 * by the signing key, exactly as the provider does. Production code never imports this.
 *
 * REST (HTTP Basic projectId:apiToken), under /api/laml/2010-04-01/Accounts/{ProjectId} and,
 * because the SDK itself omits the /api/laml prefix, also under /2010-04-01/Accounts/{ProjectId}:
 *   POST Calls.json                   create a call (201, then the scenario plays)
 *   GET  Calls.json                   list (To, From, Status filters; one page)
 *   GET  Calls/{sid}.json             the call as it stands (the reconciler's view)
 *   POST Calls/{sid}.json             Status=completed|canceled hangs up
 *   GET  Calls/{sid}/Recordings.json  the call's recordings
 *   GET  Recordings/{sid}.json        recording metadata
 *   GET  Recordings/{sid}[.wav]       the audio, WITHOUT auth, like the provider's RecordingUrl
 * Control (tests and the dev page; no auth, the server listens on loopback):
 *   POST /__control/scenarios {to, scenario}   DELETE /__control/scenarios   GET /__control/calls
 *   GET /__control/dials   the dial log (below) and the live count it gives
 *
 * The dial log is the carrier's own record of what it was asked to do, for checks that must not
 * trust the app's records (`npm run bench:campaign`): every authenticated create-call request,
 * with the instant it arrived (before its body was read) and its To, whether it was accepted,
 * and when the call reached a final status. Live calls at any instant are those created and not
 * yet ended.
 */

export interface CarrierSimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  projectId: string;
  apiToken: string;
  /** The project's signing key: webhooks are signed with it, never with the API token. */
  signingKey: string;
  /** Where synthesized speech is cached. */
  audioDir: string;
  /** Speech synthesis (default: eSpeak NG in a worker); a failing one shows what a call does without audio. */
  synthesize?: Synthesizer;
  /** Real milliseconds between a call's events (default 300, so a person can watch it ring). */
  delayMs?: number;
  /** How long a webhook may take to answer. The provider waits ~5 s; `next dev` compiling a
   * route on first use can take longer, so the default is 15 s. */
  webhookTimeoutMs?: number;
  /** Pause before retry n of a status/recording callback is n × this (default 250 ms). */
  retryDelayMs?: number;
  log?: (line: string) => void;
  /** Lines a person must see: a recording reported absent, a callback given up (default: log). */
  warn?: (line: string) => void;
}

/** One create-call request, as the simulator received it. */
export interface DialRecord {
  /** When the request arrived, in milliseconds since the epoch (sub-millisecond precision). */
  receivedAt: number;
  /** The To it asked for ("" when the body had none). */
  to: string;
  /** 201 when the call was created, else the error status it was refused with. */
  status: number;
  sid: string | null;
  /** When the call reached a final status (ms since the epoch); null while it is live, or when it was never created. */
  endedAt: number | null;
  finalStatus: CallStatus | null;
}

export interface DialLog {
  dials: DialRecord[];
  /** Calls created and not yet ended, now. */
  liveNow: number;
  /** The most live at any instant so far, and the first instant it was reached. */
  maxLive: number;
  maxLiveAt: number | null;
}

export interface ServedRecording {
  sha256: string;
  /** Length in bytes of the audio this sid serves. */
  bytes: number;
  /** How many times it has been downloaded. */
  downloads: number;
}

export interface CarrierSimulator {
  /** http://127.0.0.1:port (or the host it was told to listen on). */
  url: string;
  projectId: string;
  stop(): Promise<void>;
  /** Overrides the scenario for calls to `to` (E.164) from now on. */
  setScenario(to: string, scenario: Scenario): void;
  clearScenarios(): void;
  calls(): CallSnapshot[];
  /** Every create-call request received, with the live count it gives (see GET /__control/dials). */
  dialLog(): DialLog;
  /** Hash and size of the audio served for a recording sid; undefined for an unknown sid. */
  served(recordingSid: string): ServedRecording | undefined;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const MAX_BODY_BYTES = 1_000_000;
const STATUS_CALLBACK_EVENTS = new Set(["initiated", "ringing", "answered", "completed"]);

const controlScenarioSchema = z.object({ to: z.string().regex(E164, "to must be E.164"), scenario: scenarioSchema });

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const notFound = (path: string) => new HttpError(404, errorBody(404, 20404, `The requested resource ${path} was not found`));

export async function startCarrierSimulator(options: CarrierSimulatorOptions): Promise<CarrierSimulator> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const overrides = new Map<string, Scenario>();
  const calls = new Map<string, SimulatedCall>();
  const recordings = new Map<string, RecordingRecord>();
  const dials: { receivedAt: number; to: string; status: number; sid: string | null }[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, error.body);
      log(`simulator error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      sendJson(res, 500, errorBody(500, 20500, "Internal Server Error"));
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

  const ctx: RunnerContext = {
    baseUrl: url,
    signingKey: options.signingKey,
    audioDir: options.audioDir,
    synthesize: options.synthesize,
    delayMs: options.delayMs ?? 300,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 15_000,
    retryDelayMs: options.retryDelayMs ?? 250,
    signal: background.signal,
    recordings,
    scenarioFor: (number) => scenarioFor(number, overrides),
    log,
    warn: options.warn ?? log,
  };

  function checkAuth(req: IncomingMessage, account: string): void {
    const header = req.headers.authorization ?? "";
    const decoded = header.startsWith("Basic ") ? Buffer.from(header.slice(6), "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    if (!sameSecret(user, options.projectId) || !sameSecret(password, options.apiToken)) {
      throw new HttpError(401, errorBody(401, 20003, "Authentication Error - invalid username"));
    }
    if (account !== options.projectId) throw notFound(req.url ?? "");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.timeOrigin + performance.now();
    const requestUrl = new URL(req.url ?? "/", "http://simulator.invalid");
    const path = requestUrl.pathname;
    const method = req.method ?? "GET";

    if (path === "/" && method === "GET") {
      return sendJson(res, 200, { simulator: "SignalWire compatibility API (Verbatim carrier simulator)", project: options.projectId });
    }
    if (path.startsWith("/__control/")) return control(req, res, path, method);

    const match = /^(?:\/api\/laml)?\/2010-04-01\/Accounts\/([^/]+)(\/.*)$/.exec(path);
    if (!match) throw notFound(path);
    const account = decodeURIComponent(match[1]!);
    const rest = match[2]!;

    // Recording media is fetchable without credentials, like the provider's RecordingUrl.
    const media = /^\/Recordings\/([^/.]+)(\.wav|\.mp3)?$/.exec(rest);
    if (media && (method === "GET" || method === "HEAD")) {
      const recording = recordings.get(media[1]!);
      if (!recording || recording.status !== "completed" || account !== options.projectId) throw notFound(path);
      if (media[2] === ".mp3") {
        throw new HttpError(404, errorBody(404, 20404, "The carrier simulator serves recordings as .wav only"));
      }
      if (method === "GET") recording.downloads += 1;
      res.writeHead(200, { "Content-Type": "audio/wav", "Content-Length": recording.audio.length, "Cache-Control": "no-store" });
      res.end(method === "HEAD" ? undefined : recording.audio);
      return;
    }

    checkAuth(req, account);

    if (rest === "/Calls.json") {
      if (method === "POST") {
        const dial = { receivedAt, to: "", status: 0, sid: null as string | null };
        dials.push(dial);
        try {
          dial.sid = await createCall(req, res, account, (to) => (dial.to = to));
          dial.status = 201;
        } catch (error) {
          dial.status = error instanceof HttpError ? error.status : 500;
          throw error;
        }
        return;
      }
      if (method === "GET") return listCalls(res, account, requestUrl.searchParams);
      throw methodNotAllowed(method, path);
    }
    const callMatch = /^\/Calls\/([^/]+?)(?:\.json)?$/.exec(rest);
    if (callMatch) {
      const call = calls.get(callMatch[1]!);
      if (!call) throw notFound(path);
      if (method === "GET") return sendJson(res, 200, callResource(call));
      if (method === "POST") return updateCall(req, res, call);
      throw methodNotAllowed(method, path);
    }
    const callRecordings = /^\/Calls\/([^/]+)\/Recordings\.json$/.exec(rest);
    if (callRecordings && method === "GET") {
      const call = calls.get(callRecordings[1]!);
      if (!call) throw notFound(path);
      const items = call.recordingSids.map((sid) => recordingResource(account, recordings.get(sid)!));
      return sendJson(res, 200, page("recordings", items, path));
    }
    const recordingMeta = /^\/Recordings\/([^/]+)\.json$/.exec(rest);
    if (recordingMeta && method === "GET") {
      const recording = recordings.get(recordingMeta[1]!);
      if (!recording) throw notFound(path);
      return sendJson(res, 200, recordingResource(account, recording));
    }
    throw notFound(path);
  }

  /** Creates the call and answers 201; its sid. */
  async function createCall(req: IncomingMessage, res: ServerResponse, account: string, heard: (to: string) => void): Promise<string> {
    const form = new URLSearchParams(await readBody(req));
    const to = form.get("To") ?? "";
    heard(to);
    const from = form.get("From") ?? "";
    if (!E164.test(to)) throw new HttpError(400, errorBody(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    if (!E164.test(from)) {
      throw new HttpError(400, errorBody(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`));
    }
    const lamlUrl = form.get("Url") ?? undefined;
    const twiml = form.get("Twiml") ?? undefined;
    if (!lamlUrl && !twiml) throw new HttpError(400, errorBody(400, 21205, "Url parameter is required."));
    for (const name of ["Url", "StatusCallback", "RecordingStatusCallback"]) {
      const value = form.get(name);
      if (value && !/^https?:\/\/[^\s]+$/i.test(value)) {
        throw new HttpError(400, errorBody(400, 21205, `${name} is not a valid URL: ${value}`));
      }
    }
    // The SDK repeats the key per event; other clients send one space-separated value.
    const events = form.getAll("StatusCallbackEvent").flatMap((value) => value.split(/\s+/)).filter(Boolean);
    const unknown = events.filter((event) => !STATUS_CALLBACK_EVENTS.has(event));
    if (unknown.length > 0) log(`call to ${to}: StatusCallbackEvent values never sent: ${unknown.join(", ")}`);
    const now = new Date();
    const call: SimulatedCall = {
      sid: randomUUID(),
      accountSid: account,
      to,
      from,
      url: lamlUrl,
      method: methodOf(form.get("Method") ?? undefined),
      twiml,
      statusCallback: form.get("StatusCallback") ?? undefined,
      statusCallbackMethod: methodOf(form.get("StatusCallbackMethod") ?? undefined),
      // Without StatusCallbackEvent the provider reports only the end of the call.
      statusCallbackEvents: new Set(events.length > 0 ? events : ["completed"]),
      record: form.get("Record") === "true",
      recordingChannels: form.get("RecordingChannels") === "dual" ? 2 : 1,
      recordingStatusCallback: form.get("RecordingStatusCallback") ?? undefined,
      recordingStatusCallbackMethod: methodOf(form.get("RecordingStatusCallbackMethod") ?? undefined),
      recordingStatusCallbackEvents: new Set(
        form.getAll("RecordingStatusCallbackEvent").flatMap((value) => value.split(/\s+/)).filter(Boolean),
      ),
      machineDetection: Boolean(form.get("MachineDetection")),
      scenario: ctx.scenarioFor(to),
      status: "queued",
      dateCreated: now,
      dateUpdated: now,
      startTime: undefined,
      endTime: undefined,
      durationSeconds: undefined,
      sequence: 0,
      webhooks: [],
      recordingSids: [],
      digitsSent: [],
      speechSent: [],
      warnings: [],
      error: undefined,
      controller: new AbortController(),
      hangupRequested: false,
      settled: false,
    };
    calls.set(call.sid, call);
    log(`call ${call.sid} → ${to}: created (${call.scenario.kind})`);
    sendJson(res, 201, callResource(call));

    background.start(runCall(call, ctx), (error) => log(`call ${call.sid}: runner crashed: ${(error as Error).stack ?? String(error)}`), () => {
      call.settled = true;
    });
    return call.sid;
  }

  function dialLog(): DialLog {
    const records: DialRecord[] = dials.map((d) => {
      const call = d.sid ? calls.get(d.sid) : undefined;
      const ended = call && TERMINAL_STATUSES.has(call.status);
      return { ...d, endedAt: ended ? (call.endTime ?? call.dateUpdated).getTime() : null, finalStatus: ended ? call.status : null };
    });
    // Created +1, ended −1, in time order (an end before a start at the same instant).
    const steps = records
      .filter((r) => r.status === 201)
      .flatMap((r) => [{ at: r.receivedAt, d: 1 }, ...(r.endedAt === null ? [] : [{ at: r.endedAt, d: -1 }])])
      .sort((a, b) => a.at - b.at || a.d - b.d);
    let live = 0;
    let maxLive = 0;
    let maxLiveAt: number | null = null;
    for (const step of steps) {
      live += step.d;
      if (live > maxLive) [maxLive, maxLiveAt] = [live, step.at];
    }
    return { dials: records, liveNow: live, maxLive, maxLiveAt };
  }

  function listCalls(res: ServerResponse, account: string, query: URLSearchParams): void {
    const to = query.get("To");
    const from = query.get("From");
    const status = query.get("Status");
    const items = [...calls.values()]
      .filter((call) => (!to || call.to === to) && (!from || call.from === from) && (!status || call.status === status))
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())
      .map(callResource);
    sendJson(res, 200, page("calls", items, `/api/laml/2010-04-01/Accounts/${account}/Calls.json`));
  }

  async function updateCall(req: IncomingMessage, res: ServerResponse, call: SimulatedCall): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const status = form.get("Status");
    if (form.has("Url") || form.has("Twiml")) {
      throw new HttpError(400, errorBody(400, 21220, "The carrier simulator does not redirect live calls"));
    }
    if (status && status !== "completed" && status !== "canceled") {
      throw new HttpError(400, errorBody(400, 20001, `Invalid Status ${status}: use completed or canceled`));
    }
    // `canceled` only applies to calls not yet answered; `completed` ends any live call.
    const applies = status === "completed" || (status === "canceled" && call.status !== "in-progress");
    if (status && applies && !TERMINAL_STATUSES.has(call.status) && !call.hangupRequested) {
      call.hangupRequested = true;
      call.controller.abort();
      log(`call ${call.sid}: hang-up requested (${status})`);
    }
    sendJson(res, 200, callResource(call));
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (path === "/__control/scenarios" && method === "POST") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        throw new HttpError(400, { message: "Body must be JSON: { to, scenario }" });
      }
      const parsed = controlScenarioSchema.safeParse(body);
      if (!parsed.success) throw new HttpError(400, { message: z.prettifyError(parsed.error) });
      overrides.set(parsed.data.to, parsed.data.scenario);
      return sendJson(res, 200, parsed.data);
    }
    if (path === "/__control/scenarios" && method === "DELETE") {
      overrides.clear();
      res.writeHead(204).end();
      return;
    }
    if (path === "/__control/calls" && method === "GET") return sendJson(res, 200, snapshots());
    if (path === "/__control/dials" && method === "GET") return sendJson(res, 200, dialLog());
    throw notFound(path);
  }

  function snapshots(): CallSnapshot[] {
    return [...calls.values()].map((call) => ({
      sid: call.sid,
      to: call.to,
      from: call.from,
      request: {
        url: call.url,
        statusCallback: call.statusCallback,
        statusCallbackEvents: [...call.statusCallbackEvents],
        record: call.record,
        recordingStatusCallback: call.recordingStatusCallback,
      },
      scenario: call.scenario,
      status: call.status,
      durationSeconds: call.durationSeconds,
      webhooks: call.webhooks.map((entry) => ({ ...entry, params: { ...entry.params } })),
      recordings: call.recordingSids.map((sid) => {
        const recording = recordings.get(sid)!;
        return {
          sid,
          channels: recording.channels,
          durationSeconds: recording.durationSeconds,
          source: recording.source,
          sha256: recording.sha256,
          bytes: recording.audio.length,
          status: recording.status,
          error: recording.error,
        };
      }),
      digitsSent: [...call.digitsSent],
      speechSent: [...call.speechSent],
      warnings: [...call.warnings],
      error: call.error,
      settled: call.settled,
    }));
  }

  return {
    url,
    projectId: options.projectId,
    stop: background.stop,
    setScenario(to, scenario) {
      overrides.set(to, scenarioSchema.parse(scenario));
    },
    clearScenarios() {
      overrides.clear();
    },
    calls: snapshots,
    dialLog,
    served(recordingSid) {
      const recording = recordings.get(recordingSid);
      return recording ? { sha256: recording.sha256, bytes: recording.audio.length, downloads: recording.downloads } : undefined;
    },
  };
}

function page(key: string, items: unknown[], uri: string): Record<string, unknown> {
  return {
    [key]: items,
    uri,
    first_page_uri: uri,
    next_page_uri: null,
    previous_page_uri: null,
    page: 0,
    page_size: Math.max(items.length, 50),
    start: 0,
    end: Math.max(items.length - 1, 0),
  };
}

function methodNotAllowed(method: string, path: string): HttpError {
  return new HttpError(405, errorBody(405, 20004, `Method ${method} not allowed on ${path}`));
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
    if (size > MAX_BODY_BYTES) throw new HttpError(413, errorBody(413, 20413, "Request body too large"));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Constant-time comparison of credentials (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
