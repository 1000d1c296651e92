import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import type { SurveyQuestion } from "@/lib/surveys/documents";
import type { LamlInput } from "@/lib/telephony/laml";

/**
 * Survey answers, keypad and speech: what a Gather's Digits or SpeechResult mean, and which document answers the Gather.
 * Pure, so the gather route can persist the answer and respond with the next question in one
 * step, and a repeated callback evaluates exactly as the first did.
 */

export type AnswerResult =
  | { kind: "accepted"; value: number }
  | { kind: "spoken"; text: string; confidence: number | null }
  | { kind: "reprompt" }
  | { kind: "invalid" };

/** What the carrier's speech recognition heard (SpeechResult, Confidence). */
export interface SpeechInput {
  text: string;
  confidence: number | null;
}

/**
 * One keypad digit inside the question's range is an answer; so is any recognised speech when
 * the question takes speech (a keypad answer wins when both arrive). Anything else (silence,
 * several digits, a symbol, speech to a keypad-only question) earns one more try; a second miss
 * is recorded as invalid so the survey moves on instead of looping on someone who will not or
 * cannot answer.
 */
export function evaluateAnswer(question: SurveyQuestion, digits: string | undefined, attempt: 1 | 2, speech?: SpeechInput): AnswerResult {
  if (question.keypad && digits !== undefined && /^[0-9]$/.test(digits)) {
    const value = Number(digits);
    if (value >= question.keypad.min && value <= question.keypad.max) return { kind: "accepted", value };
  }
  if (question.speech && speech && speech.text.trim() !== "") {
    return { kind: "spoken", text: speech.text.trim(), confidence: speech.confidence };
  }
  return attempt === 1 ? { kind: "reprompt" } : { kind: "invalid" };
}

/** The document to answer the Gather for `question` (0-based) with, given how it was answered. */
export function nextSurveyStep(snapshot: ModulationSnapshot, question: number, result: AnswerResult): LamlInput {
  const survey = snapshot.survey;
  if (!survey) throw new Error("This call's snapshot has no survey.");
  if (!Number.isInteger(question) || question < 0 || question >= survey.questions.length) {
    throw new Error(`Survey question ${question} does not exist: survey ${survey.id} v${survey.version} has ${survey.questions.length}.`);
  }
  if (result.kind === "reprompt") return { step: "survey", question, attempt: 2, reprompt: true };
  const next = question + 1;
  return next < survey.questions.length ? { step: "survey", question: next, attempt: 1 } : { step: "survey-done" };
}
