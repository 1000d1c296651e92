import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { conversationWav, tagWav, type ConversationStep, type SpeechAudio } from "./audio";
import { writeSpeechMetadata } from "./speech-metadata";
import {
  API_VERSION,
  recordingPath,
  rfc2822,
  type CallStatus,
  type RecordingRecord,
  type SimulatedCall,
  type WebhookKind,
} from "./call-model";
import { parseLaml } from "./laml-parser";
import { LamlFailure, playLeg, type HeardStep, type Leg, type PlayerEnv, type RecordingSpec } from "./laml-player";
import { digitsOf, replyOf, shuffled, speechOf, type Scenario } from "./scenarios";
import type { Synthesizer } from "./speech-synth";
import { sendWebhook, type HttpMethod } from "./webhook-sender";

/**
 * The life of one simulated call: status callbacks in the order the provider sends them, the
 * LaML conversation once answered, recordings and their callbacks, and the delivery quirks a
 * scenario asks for. Callbacks for one call go out one after another (each waits for the
 * previous one's retries), so they arrive in order unless the scenario says `reorder`; calls run
 * concurrently.
 *
 * Failure choices: a status or recording callback the app answers with non-2xx (or not at all)
 * is tried 3 times, then given up and logged, and the call goes on, as the provider does. A LaML
 * request that fails (non-2xx, timeout, not LaML) ends the call: after the answer the call has
 * already been reported in-progress, so it ends `completed` with the error kept on the call
 * (the provider would play an application-error message and hang up) rather than moving
 * backwards to `failed`.
 */

const STATUS_ATTEMPTS = 3;
/** What a `silent` call that "completed" reports as its duration. */
const SILENT_CALL_SECONDS = 5;

export interface RunnerContext {
  /** The simulator's own URL, the base of every RecordingUrl. */
  baseUrl: string;
  signingKey: string;
  audioDir: string;
  /** Speech synthesis; eSpeak NG in a worker when unset. */
  synthesize: Synthesizer | undefined;
  delayMs: number;
  webhookTimeoutMs: number;
  retryDelayMs: number;
  /** Aborted by stop(). */
  signal: AbortSignal;
  recordings: Map<string, RecordingRecord>;
  scenarioFor(number: string): Scenario;
  log(line: string): void;
  /** What a person running the simulator must see (a recording that could not be made). */
  warn(line: string): void;
}

type StatusEvent = "initiated" | "ringing" | "answered" | "completed";

export async function runCall(call: SimulatedCall, ctx: RunnerContext): Promise<void> {
  const scenario = call.scenario;
  const callSignal = AbortSignal.any([ctx.signal, call.controller.signal]);
  const copies = scenario.duplicate ? 2 : 1;
  const held: Array<Record<string, string>> = [];
  const clock = { seconds: 0 };
  const sender = { signingKey: ctx.signingKey, timeoutMs: ctx.webhookTimeoutMs, retryDelayMs: ctx.retryDelayMs };
  const log = (line: string) => ctx.log(`call ${call.sid} → ${call.to}: ${line}`);

  const pause = () => sleep(ctx.delayMs, undefined, { signal: callSignal });

  const setStatus = (status: CallStatus) => {
    call.status = status;
    call.dateUpdated = new Date();
  };

  /** Callbacks are not cancelled by a hang-up (the provider still reports it), only by stop(). */
  const deliver = async (kind: WebhookKind, url: string, method: HttpMethod, params: Record<string, string>) => {
    for (let copy = 0; copy < copies; copy += 1) {
      const outcome = await sendWebhook({ url, method, params }, { ...sender, attempts: STATUS_ATTEMPTS, signal: ctx.signal });
      call.webhooks.push({ kind, url, method, params, attempts: outcome.attempts, status: outcome.status, ok: outcome.ok, error: outcome.error, at: new Date().toISOString() });
      if (!outcome.ok) ctx.warn(`call ${call.sid} → ${call.to}: ${kind} callback to ${url} given up after ${outcome.attempts} attempts (${outcome.error})`);
    }
  };

  const status = async (event: StatusEvent, callStatus: string, extra: Record<string, string> = {}) => {
    if (scenario.kind === "silent" || !call.statusCallback || !call.statusCallbackEvents.has(event)) return;
    const params: Record<string, string> = {
      CallSid: call.sid,
      AccountSid: call.accountSid,
      From: call.from,
      To: call.to,
      CallStatus: callStatus,
      Direction: "outbound-api",
      ApiVersion: API_VERSION,
      Timestamp: rfc2822(new Date()),
      SequenceNumber: String(call.sequence),
      CallbackSource: "call-progress-events",
      ...extra,
    };
    call.sequence += 1;
    if (scenario.reorder) {
      held.push(params);
      return;
    }
    await deliver("status", call.statusCallback, call.statusCallbackMethod, params);
  };

  const finish = async (final: CallStatus, seconds: number) => {
    call.endTime = new Date();
    call.durationSeconds = seconds;
    setStatus(final);
    log(`${final} after ${seconds} s`);
    await status("completed", final, { CallDuration: String(seconds) });
    if (held.length > 0 && call.statusCallback) {
      const order = shuffled(held, scenario.seed ?? 1);
      held.length = 0;
      for (const params of order) await deliver("status", call.statusCallback, call.statusCallbackMethod, params);
    }
  };

  /** The recording's audio, or why there is none. */
  const audioFor = (spec: RecordingSpec): Promise<SpeechAudio | Error> =>
    scenario.recording === "absent"
      ? Promise.resolve(new Error("the scenario's carrier captured no audio"))
      : conversationWav(spec.steps, { channels: spec.channels, audioDir: ctx.audioDir, synthesize: ctx.synthesize }).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)));

  /** Reports a recording made of `made` (its audio, synthesized from `spec` unless given). */
  const makeRecording = async (leg: Leg, spec: RecordingSpec, made?: SpeechAudio | Error) => {
    const sid = randomUUID();
    const url = `${ctx.baseUrl}${recordingPath(call.accountSid, sid)}`;
    const audio = made ?? (await audioFor(spec));
    if (audio instanceof Error) {
      // No audio, no recording: the carrier reports it `absent`, as SignalWire does when it
      // captured nothing, and says so where the person running the simulator looks.
      const reason = audio.message;
      const recording: RecordingRecord = {
        sid, callSid: call.sid, channels: spec.channels, durationSeconds: 0, source: spec.source, status: "absent", error: reason,
        audio: Buffer.alloc(0), sha256: createHash("sha256").digest("hex"), createdAt: new Date(), downloads: 0,
      };
      ctx.recordings.set(sid, recording);
      call.recordingSids.push(sid);
      call.warnings.push(`Recording ${sid} is absent: no audio could be made (${reason})`);
      ctx.warn(`call ${call.sid} → ${call.to}: recording ${sid} reported absent, no audio could be made: ${reason}`);
      if (spec.callbackUrl && wants(spec.callbackEvents, "absent")) {
        await deliver("recording", spec.callbackUrl, spec.callbackMethod, {
          AccountSid: call.accountSid,
          CallSid: call.sid,
          RecordingSid: sid,
          RecordingStatus: "absent",
          RecordingDuration: "0",
          RecordingChannels: String(spec.channels),
          RecordingSource: spec.source,
          RecordingStartTime: rfc2822(recording.createdAt),
        });
      }
      return { recording, url };
    }
    // A transcription scenario travels inside the audio, the only thing the transcriber sees.
    const transcription = leg.scenario.transcription ?? scenario.transcription;
    const speech = transcription ? writeSpeechMetadata(audio.bytes, { ...audio.speech, transcriber: { scenario: transcription } }) : audio.bytes;
    const bytes = tagWav(speech, `Verbatim carrier simulator: recording ${sid} of call ${call.sid}`);
    const recording: RecordingRecord = {
      sid,
      callSid: call.sid,
      channels: spec.channels,
      durationSeconds: Math.max(1, Math.round(audio.durationSeconds)),
      source: spec.source,
      status: "completed",
      error: null,
      audio: bytes,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      createdAt: new Date(),
      downloads: 0,
    };
    ctx.recordings.set(sid, recording);
    call.recordingSids.push(sid);
    log(`recording ${sid} (${recording.channels} ch, ${recording.durationSeconds} s, ${spec.source})`);
    if (spec.callbackUrl && wants(spec.callbackEvents, "completed")) {
      await deliver("recording", spec.callbackUrl, spec.callbackMethod, {
        AccountSid: call.accountSid,
        CallSid: call.sid,
        RecordingSid: sid,
        RecordingUrl: url,
        RecordingStatus: "completed",
        RecordingDuration: String(recording.durationSeconds),
        RecordingChannels: String(recording.channels),
        RecordingSource: spec.source,
        RecordingStartTime: rfc2822(recording.createdAt),
      });
    }
    return { recording, url };
  };

  const env: PlayerEnv = {
    async fetchDocument(_leg, kind, url, method, params) {
      const outcome = await sendWebhook({ url, method, params }, { ...sender, attempts: 1, signal: callSignal });
      call.webhooks.push({ kind, url, method, params, attempts: outcome.attempts, status: outcome.status, ok: outcome.ok, error: outcome.error, at: new Date().toISOString() });
      if (!outcome.ok) throw new LamlFailure(`${kind} request to ${url} failed: ${outcome.error}`);
      try {
        return parseLaml(outcome.body);
      } catch (error) {
        throw new LamlFailure(`${kind} answer from ${url} is not LaML: ${(error as Error).message}`);
      }
    },
    pause,
    makeRecording,
    scenarioFor: ctx.scenarioFor,
    newSid: randomUUID,
    log: ctx.log,
  };

  try {
    await pause();
    if (scenario.kind === "silent") {
      await runSilent(call, scenario.finalStatus ?? "completed", pause, setStatus);
      return;
    }
    log("initiated");
    await status("initiated", "initiated");
    if (scenario.kind === "failed") {
      await pause();
      await finish("failed", 0);
      return;
    }
    await pause();
    setStatus("ringing");
    await status("ringing", "ringing");
    if (scenario.kind === "busy" || scenario.kind === "no-answer") {
      await pause();
      await finish(scenario.kind, 0);
      return;
    }
    await pause();
    call.startTime = new Date();
    setStatus("in-progress");
    log("answered");
    // SignalWire reports the answer as `in-progress` (and, separately, `answered`).
    await status("answered", "in-progress");

    const params: Record<string, string> = {
      CallSid: call.sid,
      AccountSid: call.accountSid,
      From: call.from,
      To: call.to,
      CallStatus: "in-progress",
      Direction: "outbound-api",
      ApiVersion: API_VERSION,
    };
    if (call.machineDetection) params.AnsweredBy = "human";
    const leg: Leg = { call, params, scenario, digits: digitsOf(scenario), speech: speechOf(scenario), clock, heard: [], conversation: [], kind: "call" };
    try {
      await pause();
      await playLeg(leg, env, { url: call.url, method: call.method, inline: call.twiml }, "laml");
    } catch (error) {
      if (callSignal.aborted) throw error;
      call.error = (error as Error).message;
      ctx.warn(`call ${call.sid} → ${call.to}: ended after an error: ${call.error}`);
    }
    await pause();
    // A recording of the whole call is made as the call ends, and is as long as the call: its
    // length sets the CallDuration when the estimate fell short.
    const whole = call.record ? wholeCallSpec(leg) : null;
    const made = whole ? await audioFor(whole) : null;
    if (made && !(made instanceof Error)) clock.seconds = Math.max(clock.seconds, made.durationSeconds);
    await finish("completed", callSeconds(clock));
    if (whole) {
      if (call.recordingSids.length > 0) call.warnings.push("Recording was requested on the REST call and again in LaML");
      await makeRecording(leg, whole, made!);
    }
  } catch (error) {
    if (ctx.signal.aborted) return;
    if (call.controller.signal.aborted) {
      // Hung up through the REST API: an answered call completes, an unanswered one is canceled.
      await finish(call.status === "in-progress" ? "completed" : "canceled", call.startTime ? callSeconds(clock) : 0);
      return;
    }
    call.error = (error as Error).message;
    log(`simulator error: ${call.error}`);
    await finish(call.startTime ? "completed" : "failed", call.startTime ? callSeconds(clock) : 0);
  }

  /** Record=true on the REST create: the whole call as both parties heard it, turn by turn. */
  function wholeCallSpec(leg: Leg): RecordingSpec {
    return {
      steps: wholeCall(leg.conversation, replyOf(scenario)),
      channels: call.recordingChannels,
      source: "OutboundAPI",
      callbackUrl: call.recordingStatusCallback,
      callbackMethod: call.recordingStatusCallbackMethod,
      callbackEvents: [...call.recordingStatusCallbackEvents].join(" ") || undefined,
    };
  }
}

/**
 * What a recording of the whole call holds. The called party answers the phone with the first
 * sentence of their reply; after that they talk only into the pauses our side leaves (a shopper
 * script's <Pause>), one sentence per pause and whatever is left in the last one; with no pause
 * at all, the rest comes at the end. Our side's lines, their spoken survey answers and the
 * silences come in the order the call played them.
 */
export function wholeCall(heard: readonly HeardStep[], reply: string): ConversationStep[] {
  const sentences = reply.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
  const steps: ConversationStep[] = [];
  const greeting = sentences.shift();
  if (greeting) steps.push({ party: "callee", text: greeting });
  const slots = heard.filter((step) => "pauseSlot" in step).length;
  let slot = 0;
  for (const step of heard) {
    if (!("pauseSlot" in step)) {
      steps.push(step);
      continue;
    }
    slot += 1;
    const said = slot === slots ? sentences.splice(0).join(" ") : sentences.shift();
    steps.push(said ? { party: "callee", text: said, minSeconds: step.pauseSlot } : { silence: step.pauseSlot });
  }
  if (sentences.length > 0) steps.push({ party: "callee", text: sentences.join(" ") });
  return steps;
}

/** No webhooks at all; only GET Calls/{sid} shows the call moving on. */
async function runSilent(
  call: SimulatedCall,
  final: CallStatus,
  pause: () => Promise<void>,
  setStatus: (status: CallStatus) => void,
): Promise<void> {
  if (final === "queued") return;
  await pause();
  setStatus("ringing");
  await pause();
  const answered = final === "completed";
  if (answered) {
    call.startTime = new Date();
    setStatus("in-progress");
    await pause();
  }
  call.endTime = new Date();
  call.durationSeconds = answered ? SILENT_CALL_SECONDS : 0;
  setStatus(final);
}

function callSeconds(clock: { seconds: number }): number {
  return Math.max(1, Math.ceil(clock.seconds));
}

/** recordingStatusCallbackEvent is space separated; absent means "completed" only. */
function wants(events: string | undefined, event: "completed" | "absent"): boolean {
  return events ? events.split(/[\s,]+/).includes(event) : event === "completed";
}
