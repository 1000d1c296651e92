import { RestClient } from "@signalwire/compatibility-api";
import type { ShopperScript, Survey } from "@/lib/surveys/documents";
import { callUrls, type CallUrls } from "@/lib/telephony/urls";

/**
 * The LaML SignalWire runs for a call: a pure function of the modulation snapshot and the step, so the
 * same call always gets the same document, whenever and however often SignalWire asks.
 *
 * Direct flow: SignalWire dials the target and fetches `start` when they answer. Disclosure, then
 * the shopper script, then the survey. A call that carries a script or a survey is a
 * conversation, so it is recorded whole, both parties on their own channel, by the REST create
 * (`wholeCallRecording`, used by lib/calls/place-call.ts) and the LaML records nothing; the
 * script gets a listening pause after its last line when it does not end in one. Any other
 * recorded direct call says the disclosure and then has one <Record> of what the called party
 * says, whose action (`after-record`) ends the call. Either way a call is recorded in one place.
 * Bridge flow: SignalWire dials the operator (the REST call's `to`) and fetches `start` when they
 * answer; one <Dial> to the target carries the recording, and the target hears the disclosure
 * through the <Number url> whisper before the two are connected.
 */

export type LamlInput =
  | { step: "start" }
  | { step: "whisper" }
  | { step: "after-record" }
  | { step: "after-dial" }
  /** `question` is 0-based, as in the gather URL; `reprompt` first apologises for a bad answer. */
  | { step: "survey"; question: number; attempt: 1 | 2; reprompt?: boolean }
  | { step: "survey-done" };

/**
 * What LaML reads of a call: the fields of its modulation snapshot (lib/calls/snapshot.ts) that
 * say what is spoken, recorded and dialled. The snapshot satisfies it as it is; telephony sits
 * below calls, so it names the fields instead of importing the call's type.
 */
export interface LamlSnapshot {
  flow: "direct" | "bridge";
  from: string;
  to: string;
  operatorPhone: string | null;
  record: boolean;
  disclosure: string | null;
  survey: Survey | null;
  shopperScript: ShopperScript | null;
}

export interface LamlContext {
  callId: string;
  baseUrl: string;
}

/** Thrown when the snapshot and the requested step cannot produce a safe document. */
export class LamlStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LamlStepError";
  }
}

export const REPROMPT_TEXT = "Sorry, that is not a valid answer.";

// "absent" as well as "completed": a recording that never materialises must still reach us, or
// the call waits for an artifact forever.
const RECORDING_EVENTS: ("completed" | "absent")[] = ["completed", "absent"];

type VoiceResponse = InstanceType<typeof RestClient.LaML.VoiceResponse>;

/** Seconds the called party gets to answer a script's last line when the script leaves none. */
export const LISTEN_SECONDS = 5;

/** Whether the call is recorded whole by the REST create rather than by a LaML verb. */
export function recordsWholeCall(snapshot: LamlSnapshot): boolean {
  return snapshot.flow === "direct" && snapshot.record && (snapshot.shopperScript !== null || snapshot.survey !== null);
}

/**
 * The REST create's recording options for a call recorded whole: from the answer, dual channel
 * (our side on channel 1, the called party on channel 2), reporting `completed` and `absent`.
 */
export function wholeCallRecording(snapshot: LamlSnapshot, urls: CallUrls) {
  if (!recordsWholeCall(snapshot)) return {};
  return {
    record: true,
    recordingChannels: "dual",
    recordingStatusCallback: urls.recording(),
    recordingStatusCallbackMethod: "POST",
    recordingStatusCallbackEvent: RECORDING_EVENTS,
  };
}

export function buildLaml(snapshot: LamlSnapshot, input: LamlInput, ctx: LamlContext): string {
  const urls = callUrls(ctx.baseUrl, ctx.callId);
  const response = new RestClient.LaML.VoiceResponse();
  if (snapshot.flow === "bridge") {
    bridgeLaml(response, snapshot, input, urls);
  } else {
    directLaml(response, snapshot, input, urls);
  }
  return response.toString();
}

/** The step that opens the survey, or null when the snapshot has none. */
export function surveyStart(snapshot: LamlSnapshot): LamlInput | null {
  return snapshot.survey ? { step: "survey", question: 0, attempt: 1 } : null;
}

function directLaml(response: VoiceResponse, snapshot: LamlSnapshot, input: LamlInput, urls: CallUrls): void {
  switch (input.step) {
    case "start": {
      const disclosure = requireDisclosure(snapshot);
      if (disclosure !== null) response.say(disclosure);
      if (snapshot.shopperScript) playScript(response, snapshot.shopperScript);
      if (snapshot.record && !recordsWholeCall(snapshot)) {
        // The document ends here: SignalWire never runs verbs after <Record>; it posts to the
        // action when the recording stops, and that answer (after-record) carries the call on.
        response.record({
          action: urls.laml("after-record"),
          method: "POST",
          recordingStatusCallback: urls.recording(),
          recordingStatusCallbackMethod: "POST",
          recordingStatusCallbackEvent: RECORDING_EVENTS,
          playBeep: false,
          maxLength: 600,
          timeout: 10,
          finishOnKey: "#",
          trim: "do-not-trim",
        });
        return;
      }
      continueWithSurvey(response, snapshot, urls);
      return;
    }
    case "after-record":
      continueWithSurvey(response, snapshot, urls);
      return;
    case "survey": {
      const survey = requireSurvey(snapshot);
      if (!Number.isInteger(input.question) || input.question < 0 || input.question >= survey.questions.length) {
        throw new LamlStepError(
          `Survey question ${input.question} does not exist: survey ${survey.id} v${survey.version} has ${survey.questions.length}.`,
        );
      }
      if (input.reprompt) response.say(REPROMPT_TEXT);
      askQuestion(response, survey, input.question, input.attempt, urls);
      return;
    }
    case "survey-done":
      response.say(requireSurvey(snapshot).thankYou);
      response.hangup();
      return;
    case "whisper":
    case "after-dial":
      throw new LamlStepError(`Step "${input.step}" belongs to the bridge flow; this call uses the direct flow.`);
  }
}

function bridgeLaml(response: VoiceResponse, snapshot: LamlSnapshot, input: LamlInput, urls: CallUrls): void {
  // The API refuses these before dialling; in a bridge there is no leg on which a survey or a
  // script could be played to the target alone, so refuse here too rather than drop them silently.
  if (snapshot.survey) throw new LamlStepError("A bridge call cannot carry a survey; use the direct flow.");
  if (snapshot.shopperScript) throw new LamlStepError("A bridge call cannot carry a shopper script; use the direct flow.");
  // The operator is the REST call's `to`; dialling them again from LaML would ring them twice.
  if (snapshot.operatorPhone === null) throw new LamlStepError("A bridge call needs the operator's phone.");
  if (snapshot.operatorPhone === snapshot.to) {
    throw new LamlStepError("A bridge call cannot dial the operator's own phone as the target.");
  }

  switch (input.step) {
    case "start": {
      const disclosure = requireDisclosure(snapshot);
      if (disclosure !== null) response.say(disclosure);
      const dial = response.dial({
        callerId: snapshot.from,
        answerOnBridge: true,
        action: urls.laml("after-dial"),
        method: "POST",
        timeout: 30,
        ...(snapshot.record
          ? {
              // Dual channel keeps operator and target apart for transcription.
              record: "record-from-answer-dual" as const,
              recordingStatusCallback: urls.recording(),
              recordingStatusCallbackMethod: "POST",
              recordingStatusCallbackEvent: RECORDING_EVENTS,
            }
          : {}),
      });
      // Recording starts on answer, but the whisper plays before the bridge, so the target hears
      // the disclosure before a word of theirs reaches the recording.
      dial.number(snapshot.record ? { url: urls.laml("whisper"), method: "POST" } : {}, snapshot.to);
      return;
    }
    case "whisper": {
      // Only reachable through the <Number url> set when recording; without recording there is
      // nothing to tell the target, and an empty document simply connects them.
      const disclosure = requireDisclosure(snapshot);
      if (disclosure !== null) response.say(disclosure);
      return;
    }
    case "after-dial":
      response.hangup();
      return;
    case "after-record":
    case "survey":
    case "survey-done":
      throw new LamlStepError(`Step "${input.step}" belongs to the direct flow; this call uses the bridge flow.`);
  }
}

/** The disclosure to say, or null when not recording; never records without one. */
function requireDisclosure(snapshot: LamlSnapshot): string | null {
  if (!snapshot.record) return null;
  if (snapshot.disclosure === null) {
    throw new LamlStepError("This call records but its snapshot has no disclosure; refusing to record undisclosed.");
  }
  return snapshot.disclosure;
}

function requireSurvey(snapshot: LamlSnapshot): Survey {
  if (!snapshot.survey) throw new LamlStepError("This call's snapshot has no survey.");
  return snapshot.survey;
}

function continueWithSurvey(response: VoiceResponse, snapshot: LamlSnapshot, urls: CallUrls): void {
  if (snapshot.survey) {
    askQuestion(response, snapshot.survey, 0, 1, urls);
  } else {
    response.hangup();
  }
}

/** The persona's lines and pauses, in order, in the persona's voice (the carrier's default when unset). */
function playScript(response: VoiceResponse, script: ShopperScript): void {
  const voice = script.persona.voice;
  for (const step of script.steps) {
    if ("say" in step) {
      if (voice) response.say({ voice }, step.say);
      else response.say(step.say);
    } else {
      response.pause({ length: step.pause });
    }
  }
  const last = script.steps.at(-1);
  if (last && "say" in last) response.pause({ length: LISTEN_SECONDS });
}

function askQuestion(response: VoiceResponse, survey: Survey, question: number, attempt: 1 | 2, urls: CallUrls): void {
  const q = survey.questions[question];
  if (!q) throw new LamlStepError(`Survey ${survey.id} v${survey.version} has no question ${question}.`);
  // actionOnEmptyResult makes SignalWire post even on silence, so the gather route always
  // answers with the next document; nothing may follow the Gather or it would run instead.
  // A keypad answer is one digit; a spoken one ends when the speaker stops (speechTimeout auto).
  const gather = response.gather({
    input: [...(q.keypad ? (["dtmf"] as const) : []), ...(q.speech ? (["speech"] as const) : [])],
    ...(q.keypad ? { numDigits: 1 } : {}),
    ...(q.speech ? { speechTimeout: "auto" } : {}),
    timeout: 6,
    action: urls.gather(question, attempt),
    method: "POST",
    actionOnEmptyResult: true,
  });
  gather.say(q.prompt);
}
