import type { ModulationSnapshot, SurveyQuestion } from "@/lib/calls/snapshot";
import type { LamlInput } from "@/lib/telephony/laml";

/**
 * Keypad survey answers: what a Gather's Digits mean, and which document answers the Gather.
 * Pure, so the gather route can persist the answer and respond with the next question in one
 * step, and a repeated callback evaluates exactly as the first did.
 */

export type AnswerResult = { kind: "accepted"; value: number } | { kind: "reprompt" } | { kind: "invalid" };

/**
 * One keypad digit inside [min, max] is an answer. Anything else (silence, several digits, a
 * symbol) earns one more try; a second miss is recorded as invalid so the survey moves on
 * instead of looping on someone who will not or cannot answer.
 */
export function evaluateAnswer(question: SurveyQuestion, digits: string | undefined, attempt: 1 | 2): AnswerResult {
  if (digits !== undefined && /^[0-9]$/.test(digits)) {
    const value = Number(digits);
    if (value >= question.min && value <= question.max) return { kind: "accepted", value };
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
