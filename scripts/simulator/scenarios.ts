import { z } from "zod";
import { transcriberScenarioSchema } from "./speech-metadata";

/**
 * What the far end of a simulated call does. The simulator picks one per call from the `To`
 * number: an explicit `setScenario(to, …)` wins, then the reserved numbers below, then
 * `answered`. A `<Dial><Number>` target is looked up the same way, so dialling a reserved busy
 * number from a bridge flow gives DialCallStatus=busy.
 *
 *   answered   the party picks up; LaML runs. `reply` is what they say into any recording
 *              (Record verb, the called side of a Dial, or a REST-level recording of the whole
 *              call, where they answer the phone with its first sentence and say the rest into
 *              our side's pauses: call-runner.ts `wholeCall`; "" says nothing); `callerLine`
 *              is what they say when they are the calling side of a bridged <Dial>; `digits` are
 *              keyed into successive <Gather>s (none left → no input); `speech` are spoken into
 *              successive <Gather>s that take speech and got no keys (sent as SpeechResult with
 *              Confidence 0.92, as the carrier's recogniser would).
 *   survey     `answered` with a digit list required: the after-call survey flows.
 *
 * Shopper calls: the called party's `reply` is what a shopper script's rubric is scored on (it
 * is synthesized with eSpeak NG into the recording, with its words in the `vbtm` metadata). Two
 * reserved numbers give a reply a typical rubric passes and one it fails (see below).
 *   busy       initiated → ringing → busy (no LaML is fetched).
 *   no-answer  initiated → ringing → no-answer.
 *   failed     initiated → failed (the carrier could not place the call).
 *   silent     the create is accepted and no webhook is ever sent: callbacks are lost, so only
 *              the REST API knows what happened. `finalStatus` is what GET Calls/{sid} reports
 *              once the call would have ended ("completed" by default; "queued" models a call
 *              stuck at the carrier). For the reconciler and for benchmarks.
 *
 * Delivery options apply to every scenario:
 *   duplicate  every status and recording callback is delivered twice (same SequenceNumber),
 *              as carriers do when they retry after a lost acknowledgement.
 *   reorder    status callbacks are held until the call ends and then delivered in a shuffled
 *              order derived from `seed` (default 1); their SequenceNumbers keep the true order.
 *              A shuffle that happens to equal the true order is rotated, so the delivery
 *              always differs. LaML, Gather, Record and Dial requests stay in call order:
 *              they are request/response steps of the call itself.
 *   recording  "absent": every recording of the call is reported `absent` (no audio), as a
 *              carrier does when it captured nothing.
 *   transcription  a marker written into the recording's speech metadata for the transcriber
 *              stand-in (success, error, error_once, slow, duplicate); the call itself plays
 *              as it would without it. The transcriber reads it from the audio it fetches.
 */

export const DEFAULT_REPLY = "Hello, this is the front desk. Yes, we have appointments on Tuesday.";
/** The called party of a secret-shopper call, helpful: greets at once, names the desk, offers a slot. */
export const SHOPPER_HELPFUL_REPLY =
  "Good morning, Riverside Clinic front desk, this is Dana. Yes, we have an appointment on Tuesday at ten. Can I book it for you?";
/** …and unhelpful: no greeting, no appointment, sends the caller away. */
export const SHOPPER_UNHELPFUL_REPLY = "We are busy right now. I do not know. Call back later.";
export const SIMULATED_SPEECH_CONFIDENCE = "0.92";

export const DEFAULT_CALLER_LINE = "Hi, I am calling to ask whether you have any appointments next week.";

const delivery = {
  /** "absent": the carrier captures no audio for any recording of this call, and says so. */
  recording: z.literal("absent").optional(),
  duplicate: z.boolean().optional(),
  reorder: z.boolean().optional(),
  seed: z.number().int().optional(),
  transcription: transcriberScenarioSchema.optional(),
};
const digit = z.string().regex(/^[0-9*#]+$/, "digits are DTMF keys 0-9, * and #");

export const scenarioSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("answered"),
    /** "" is a party that picks up and says nothing. */
    reply: z.string().optional(),
    callerLine: z.string().min(1).optional(),
    digits: z.array(digit).optional(),
    speech: z.array(z.string().min(1)).optional(),
    ...delivery,
  }),
  z.object({
    kind: z.literal("survey"),
    digits: z.array(digit),
    speech: z.array(z.string().min(1)).optional(),
    reply: z.string().min(1).optional(),
    callerLine: z.string().min(1).optional(),
    ...delivery,
  }),
  z.object({ kind: z.enum(["busy", "no-answer", "failed"]), ...delivery }),
  z.object({
    kind: z.literal("silent"),
    finalStatus: z.enum(["completed", "busy", "no-answer", "failed", "queued"]).optional(),
    ...delivery,
  }),
]);

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioKind = Scenario["kind"];

/**
 * Reserved `To` numbers, in the +1 500 555 xxxx range carriers keep for test credentials: valid
 * E.164 to libphonenumber-js (so the app's own validation lets them through from the page) and
 * never a real subscriber.
 *
 *   +15005550001  busy              +15005550005  survey, keys 3, 5, 9
 *   +15005550002  no-answer         +15005550006  answered, every callback delivered twice
 *   +15005550003  failed            +15005550007  answered, status callbacks reordered
 *   +15005550004  silent (no webhooks at all)
 *   +15005550008  answered; its recording's first transcription fails, a retry succeeds
 *   +15005550009  shopper, helpful reply; survey: keys 4, says "The nurse was very kind."
 *   +15005550010  shopper, unhelpful reply; survey: no keys, says "No comment."
 *   +15005550011  answered; the carrier captures no recording and reports it absent
 */
export const RESERVED_NUMBERS: Readonly<Record<string, Scenario>> = {
  "+15005550001": { kind: "busy" },
  "+15005550002": { kind: "no-answer" },
  "+15005550003": { kind: "failed" },
  "+15005550004": { kind: "silent" },
  "+15005550005": { kind: "survey", digits: ["3", "5", "9"] },
  "+15005550006": { kind: "answered", duplicate: true },
  "+15005550007": { kind: "answered", reorder: true },
  "+15005550008": { kind: "answered", transcription: "error_once" },
  "+15005550009": { kind: "survey", digits: ["4"], speech: ["The nurse was very kind."], reply: SHOPPER_HELPFUL_REPLY },
  "+15005550010": { kind: "answered", speech: ["No comment."], reply: SHOPPER_UNHELPFUL_REPLY },
  "+15005550011": { kind: "answered", recording: "absent" },
};

export function scenarioFor(to: string, overrides: ReadonlyMap<string, Scenario>): Scenario {
  return overrides.get(to) ?? RESERVED_NUMBERS[to] ?? { kind: "answered" };
}

/** The words a party says into a recording, whatever the scenario kind. */
export function replyOf(scenario: Scenario): string {
  return (scenario.kind === "answered" || scenario.kind === "survey") && scenario.reply !== undefined ? scenario.reply : DEFAULT_REPLY;
}

export function callerLineOf(scenario: Scenario): string {
  return (scenario.kind === "answered" || scenario.kind === "survey") && scenario.callerLine
    ? scenario.callerLine
    : DEFAULT_CALLER_LINE;
}

export function digitsOf(scenario: Scenario): string[] {
  return (scenario.kind === "answered" || scenario.kind === "survey") && scenario.digits ? [...scenario.digits] : [];
}

export function speechOf(scenario: Scenario): string[] {
  return (scenario.kind === "answered" || scenario.kind === "survey") && scenario.speech ? [...scenario.speech] : [];
}

/** mulberry32: tiny, seedable, and the same on every machine, which is the point here. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic permutation of `items` that differs from the input when it can. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const next = random(seed);
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  if (out.length > 1 && out.every((item, i) => item === items[i])) out.push(out.shift()!);
  return out;
}
