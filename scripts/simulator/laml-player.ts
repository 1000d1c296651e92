import type { ConversationStep } from "./audio";
import type { RecordingRecord, SimulatedCall, WebhookKind } from "./call-model";
import { childElements, parseLaml, textOf, type LamlElement } from "./laml-parser";
import { callerLineOf, digitsOf, replyOf, SIMULATED_SPEECH_CONFIDENCE, speechOf, type Scenario } from "./scenarios";
import { methodOf, type HttpMethod } from "./webhook-sender";

/**
 * Interprets LaML for one leg of a call the way the carrier does: verbs run in order, a verb
 * that has an `action` (Gather with input, Record, Dial) replaces the rest of the document with
 * whatever the action answers, and the call ends at <Hangup/> or when a document runs out.
 *
 * Time is virtual. Speech, pauses and waits advance the leg's clock (which becomes the call's
 * CallDuration); real time only passes through `env.pause()`, the pacing between requests.
 *
 * Supported: Say, Play, Pause, Gather (dtmf and speech; nested Say/Play/Pause), Record, Dial with Number
 * children (first Number only, `url` whisper, record="record-from-answer[-dual]" /
 * "record-from-ringing[-dual]", action), Redirect, Hangup, Reject. Anything else is logged and
 * skipped, as the provider skips what it does not know.
 */

/** A Redirect or action loop would otherwise run forever. */
const MAX_DOCUMENTS = 50;
const SPOKEN_WORDS_PER_SECOND = 2.6;
const RING_SECONDS = 4;

export class LamlFailure extends Error {
  override name = "LamlFailure";
}

export interface Leg {
  /** The call whose log, recordings and warnings this leg writes to (the parent, for a whisper). */
  call: SimulatedCall;
  /** Fields every request made for this leg carries (CallSid, AccountSid, From, To, …). */
  params: Record<string, string>;
  /** The party at the far end of this leg. */
  scenario: Scenario;
  /** Keys this party will still press, consumed one entry per <Gather>. */
  digits: string[];
  /** What this party will still say to a <Gather> that takes speech (when no keys are left for it). */
  speech: string[];
  /** Seconds of call time so far; a whisper shares its parent's clock. */
  clock: { seconds: number };
  /** What this party has been told (<Say> texts), to notice a recording nobody disclosed. */
  heard: string[];
  /**
   * The leg as a recording of the whole call would hear it, in order: our side's lines, the
   * party's spoken answers, silences, and each <Pause> as a slot the party may talk into (the
   * runner decides what they say there: call-runner.ts).
   */
  conversation: HeardStep[];
  kind: "call" | "whisper";
}

export type HeardStep = ConversationStep | { pauseSlot: number };

export interface RecordingSpec {
  steps: readonly ConversationStep[];
  channels: 1 | 2;
  source: RecordingRecord["source"];
  callbackUrl: string | undefined;
  callbackMethod: HttpMethod;
  callbackEvents: string | undefined;
}

export interface PlayerEnv {
  /** Fetches and parses a document; throws LamlFailure when the app does not answer with LaML. */
  fetchDocument(leg: Leg, kind: WebhookKind, url: string, method: HttpMethod, params: Record<string, string>): Promise<LamlElement>;
  /** Real-time pacing between requests; rejects when the call is hung up or the simulator stops. */
  pause(): Promise<void>;
  makeRecording(leg: Leg, spec: RecordingSpec): Promise<{ recording: RecordingRecord; url: string }>;
  scenarioFor(number: string): Scenario;
  newSid(): string;
  log(line: string): void;
}

export type LegEnd = "hangup" | "end";

interface Source {
  url: string | undefined;
  method: HttpMethod;
  inline?: string;
}

/** Plays a leg from its first document to its end. */
export async function playLeg(leg: Leg, env: PlayerEnv, first: Source, kind: WebhookKind): Promise<LegEnd> {
  let doc: LamlElement;
  if (first.inline !== undefined) {
    doc = parseInline(first.inline);
  } else {
    doc = await env.fetchDocument(leg, kind, first.url!, first.method, leg.params);
  }
  let docUrl = first.url;
  for (let documents = 1; ; documents += 1) {
    const step = await playDocument(leg, env, doc, docUrl);
    if (step.kind !== "next") return step.kind;
    if (documents >= MAX_DOCUMENTS) throw new LamlFailure(`More than ${MAX_DOCUMENTS} documents in one call: a Redirect or action loop?`);
    doc = step.doc;
    docUrl = step.url;
  }
}

function parseInline(xml: string): LamlElement {
  try {
    return parseLaml(xml);
  } catch (error) {
    throw new LamlFailure(`Inline Twiml is not a LaML document: ${(error as Error).message}`);
  }
}

type Step = { kind: LegEnd } | { kind: "next"; doc: LamlElement; url: string };

async function playDocument(leg: Leg, env: PlayerEnv, doc: LamlElement, docUrl: string | undefined): Promise<Step> {
  for (const verb of childElements(doc)) {
    switch (verb.name) {
      case "Say":
      case "Play":
      case "Pause":
        speak(leg, verb);
        break;
      case "Gather": {
        const step = await gather(leg, env, verb, docUrl);
        if (step) return step;
        break;
      }
      case "Record": {
        const step = await record(leg, env, verb, docUrl);
        if (step) return step;
        break;
      }
      case "Dial": {
        const step = await dial(leg, env, verb, docUrl);
        if (step) return step;
        break;
      }
      case "Redirect": {
        const target = resolve(textOf(verb), docUrl);
        if (!target) throw new LamlFailure("<Redirect> without a URL");
        await env.pause();
        const method = methodOf(verb.attrs.method);
        return { kind: "next", doc: await env.fetchDocument(leg, "redirect", target, method, leg.params), url: target };
      }
      case "Hangup":
      case "Reject":
        return { kind: "hangup" };
      default:
        env.log(`call ${leg.call.sid}: <${verb.name}> is not simulated; skipped`);
    }
  }
  return { kind: "end" };
}

/** Say, Play and Pause only take time; Say also counts as something the party was told. */
function speak(leg: Leg, verb: LamlElement): void {
  const loop = Math.max(1, Number(verb.attrs.loop ?? 1) || 1);
  if (verb.name === "Say") {
    const text = textOf(verb);
    leg.heard.push(text);
    for (let i = 0; i < loop; i += 1) leg.conversation.push({ party: "caller", text });
    leg.clock.seconds += (loop * text.split(/\s+/).filter(Boolean).length) / SPOKEN_WORDS_PER_SECOND;
  } else if (verb.name === "Pause") {
    const length = Number(verb.attrs.length ?? 1) || 1;
    leg.conversation.push({ pauseSlot: length });
    leg.clock.seconds += length;
  } else {
    leg.conversation.push({ silence: loop * 3 });
    leg.clock.seconds += loop * 3;
  }
}

async function gather(leg: Leg, env: PlayerEnv, verb: LamlElement, docUrl: string | undefined): Promise<Step | undefined> {
  for (const inner of childElements(verb)) {
    if (inner.name === "Say" || inner.name === "Play" || inner.name === "Pause") speak(leg, inner);
  }
  const input = (verb.attrs.input ?? "dtmf").toLowerCase().split(/\s+/);
  const digits = input.includes("dtmf") ? leg.digits.shift() : undefined;
  // Keys first; a Gather that also (or only) takes speech hears the party's next spoken answer.
  const speech = digits === undefined && input.includes("speech") ? leg.speech.shift() : undefined;
  // Without an action the provider posts the input to the current document's URL.
  const action = resolve(verb.attrs.action, docUrl) ?? docUrl;
  const method = methodOf(verb.attrs.method);
  if (digits !== undefined) {
    leg.conversation.push({ silence: 1 + digits.length * 0.5 });
    leg.clock.seconds += 1 + digits.length * 0.5;
    leg.call.digitsSent.push(digits);
    if (!action) return undefined;
    await env.pause();
    const doc = await env.fetchDocument(leg, "gather", action, method, { ...leg.params, Digits: digits });
    return { kind: "next", doc, url: action };
  }
  if (speech !== undefined) {
    leg.conversation.push({ party: "callee", text: speech });
    leg.clock.seconds += 1 + speech.split(/\s+/).length / SPOKEN_WORDS_PER_SECOND;
    leg.call.speechSent.push(speech);
    if (!action) return undefined;
    await env.pause();
    const doc = await env.fetchDocument(leg, "gather", action, method, {
      ...leg.params,
      SpeechResult: speech,
      Confidence: SIMULATED_SPEECH_CONFIDENCE,
    });
    return { kind: "next", doc, url: action };
  }
  leg.conversation.push({ silence: Number(verb.attrs.timeout ?? 5) || 5 });
  leg.clock.seconds += Number(verb.attrs.timeout ?? 5) || 5;
  if (verb.attrs.actionOnEmptyResult === "true" && action) {
    await env.pause();
    const doc = await env.fetchDocument(leg, "gather", action, method, leg.params);
    return { kind: "next", doc, url: action };
  }
  // No input and no forced action: the provider falls through to the next verb.
  return undefined;
}

async function record(leg: Leg, env: PlayerEnv, verb: LamlElement, docUrl: string | undefined): Promise<Step | undefined> {
  if (leg.heard.length === 0) leg.call.warnings.push(`<Record> started before anything was said to ${leg.params.To}`);
  await env.pause();
  leg.conversation.push({ party: "callee", text: replyOf(leg.scenario) });
  const { recording, url } = await env.makeRecording(leg, {
    steps: [{ party: "callee", text: replyOf(leg.scenario) }],
    channels: 1,
    source: "RecordVerb",
    callbackUrl: resolve(verb.attrs.recordingStatusCallback, docUrl),
    callbackMethod: methodOf(verb.attrs.recordingStatusCallbackMethod),
    callbackEvents: verb.attrs.recordingStatusCallbackEvent,
  });
  leg.clock.seconds += recording.durationSeconds + 1;
  // Without an action the provider requests the current document again.
  const action = resolve(verb.attrs.action, docUrl) ?? docUrl;
  if (!action) return undefined;
  await env.pause();
  const doc = await env.fetchDocument(leg, "record", action, methodOf(verb.attrs.method), {
    ...leg.params,
    RecordingUrl: url,
    RecordingSid: recording.sid,
    RecordingDuration: String(recording.durationSeconds),
    Digits: "hangup",
  });
  return { kind: "next", doc, url: action };
}

const DIAL_STATUS: Record<Scenario["kind"], "completed" | "busy" | "no-answer" | "failed"> = {
  answered: "completed",
  survey: "completed",
  busy: "busy",
  "no-answer": "no-answer",
  failed: "failed",
  silent: "no-answer",
};

/**
 * A bridge: the dialled party's own scenario decides whether it answers. When it does, the
 * Number's `url` document plays to it alone (the whisper) before the two are connected; a
 * whisper that hangs up counts as the party declining (DialCallStatus=no-answer, nothing
 * recorded). The conversation is the caller's `callerLine` then the dialled party's `reply`.
 */
async function dial(leg: Leg, env: PlayerEnv, verb: LamlElement, docUrl: string | undefined): Promise<Step | undefined> {
  const numbers = childElements(verb).filter((child) => child.name === "Number");
  const number = numbers[0];
  const target = number ? textOf(number) : textOf(verb);
  if (!target) {
    env.log(`call ${leg.call.sid}: <Dial> with nothing to dial; skipped`);
    return undefined;
  }
  if (childElements(verb).some((child) => child.name !== "Number")) {
    env.log(`call ${leg.call.sid}: only <Number> is simulated inside <Dial>`);
  }
  if (target === leg.call.to) leg.call.warnings.push(`<Dial> to ${target}, the number this call already rang`);

  const targetScenario = env.scenarioFor(target);
  const childSid = env.newSid();
  let dialStatus = DIAL_STATUS[targetScenario.kind];
  await env.pause();
  leg.clock.seconds += dialStatus === "no-answer" ? Number(verb.attrs.timeout ?? 30) || 30 : RING_SECONDS;

  let talkSeconds = 0;
  let recorded: { recording: RecordingRecord; url: string } | undefined;
  if (dialStatus === "completed") {
    const whisperUrl = number ? resolve(number.attrs.url, docUrl) : undefined;
    const childLeg: Leg = {
      call: leg.call,
      params: {
        CallSid: childSid,
        ParentCallSid: leg.call.sid,
        AccountSid: leg.call.accountSid,
        From: verb.attrs.callerId ?? leg.call.from,
        To: target,
        CallStatus: "in-progress",
        Direction: "outbound-dial",
        ApiVersion: leg.params.ApiVersion ?? "2010-04-01",
      },
      scenario: targetScenario,
      digits: digitsOf(targetScenario),
      speech: speechOf(targetScenario),
      clock: leg.clock,
      heard: [],
      conversation: [],
      kind: "whisper",
    };
    if (whisperUrl) {
      await env.pause();
      const end = await playLeg(childLeg, env, { url: whisperUrl, method: methodOf(number?.attrs.method) }, "whisper");
      if (end === "hangup") dialStatus = "no-answer";
    }
    if (dialStatus === "completed") {
      const mode = verb.attrs.record ?? "do-not-record";
      const conversation = [callerLineOf(leg.scenario), replyOf(targetScenario)] as const;
      if (mode.startsWith("record-from-")) {
        if (childLeg.heard.length === 0) leg.call.warnings.push(`Dial recording started before anything was said to ${target}`);
        await env.pause();
        recorded = await env.makeRecording(leg, {
          steps: [{ party: "caller", text: conversation[0] }, { party: "callee", text: conversation[1] }],
          channels: mode.endsWith("-dual") ? 2 : 1,
          source: "DialVerb",
          callbackUrl: resolve(verb.attrs.recordingStatusCallback, docUrl),
          callbackMethod: methodOf(verb.attrs.recordingStatusCallbackMethod),
          callbackEvents: verb.attrs.recordingStatusCallbackEvent,
        });
        talkSeconds = recorded.recording.durationSeconds;
      } else {
        talkSeconds = Math.ceil(conversation.join(" ").split(/\s+/).length / SPOKEN_WORDS_PER_SECOND);
      }
      leg.clock.seconds += talkSeconds;
    }
  }
  env.log(`call ${leg.call.sid}: <Dial> ${target} → ${dialStatus}`);

  const action = resolve(verb.attrs.action, docUrl);
  // Without an action the provider goes on with the next verb after <Dial>.
  if (!action) return undefined;
  await env.pause();
  const params: Record<string, string> = {
    ...leg.params,
    DialCallStatus: dialStatus,
    DialCallSid: childSid,
    DialCallDuration: String(talkSeconds),
  };
  if (recorded) {
    params.RecordingUrl = recorded.url;
    params.RecordingSid = recorded.recording.sid;
    params.RecordingDuration = String(recorded.recording.durationSeconds);
  }
  const doc = await env.fetchDocument(leg, "dial", action, methodOf(verb.attrs.method), params);
  return { kind: "next", doc, url: action };
}

/**
 * Absolute URLs are used exactly as the app wrote them (the signature covers that string);
 * relative ones resolve against the document that named them, as the provider does.
 */
function resolve(value: string | undefined, base: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  if (!base) return undefined;
  return new URL(trimmed, base).toString();
}
