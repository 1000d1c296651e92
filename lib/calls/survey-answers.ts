import "server-only";
import type { SurveyAnswerView } from "@/lib/calls/contracts";
import { checkCallSid, lockCall } from "@/lib/calls/lock";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import { evaluateAnswer, nextSurveyStep, type AnswerResult } from "@/lib/calls/survey";
import { appendCallEvent } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { parseGatherCallback } from "@/lib/telephony/callbacks";
import type { LamlInput } from "@/lib/telephony/laml";
import { canonicalSha256 } from "@/lib/surveys/hash";

/**
 * Survey answers: the one module that reads and writes `public.survey_answers`, and the Gather
 * action that fills it. One row per question, inserted once and never changed: the accepted
 * digit, the recognised speech, or `invalid` after a miss was re-prompted once and missed again.
 * Each row is an artifact: the SHA-256 of its canonical JSON (`answerDocument`, built from the
 * row's own columns, so anyone can recompute it) and its provenance (source, provider, the
 * callback's CallSid, the survey version's hash, when it was received).
 */

export const ANSWER_PROVIDER = "signalwire";

export interface AnswerRecord {
  organizationId: string;
  callId: string;
  surveyId: string;
  surveyVersion: number;
  surveySha256: string | null;
  questionIndex: number;
  questionId: string;
  source: "keypad" | "speech" | "none";
  answer: string;
  digits: string | null;
  speechConfidence: number | null;
  attempts: number;
  provider: string;
  providerSid: string | null;
  receivedAt: string;
}

/** The hashed document of an answer: every column but the row id and the hash itself. */
export function answerDocument(r: AnswerRecord) {
  return {
    kind: "survey_answer",
    organizationId: r.organizationId,
    callId: r.callId,
    survey: { id: r.surveyId, version: r.surveyVersion, sha256: r.surveySha256 },
    question: { index: r.questionIndex, id: r.questionId },
    source: r.source,
    answer: r.answer,
    digits: r.digits,
    speechConfidence: r.speechConfidence,
    attempts: r.attempts,
    provenance: { provider: r.provider, providerSid: r.providerSid, receivedAt: r.receivedAt },
  };
}

/**
 * A survey Gather action: store the answer (once per question), then say what comes next —
 * the next question, a single re-prompt after an answer out of range, or the thank-you.
 * A repeated delivery answers with the same next step and stores nothing new.
 */
export async function handleGather(
  tx: Tx,
  callId: string,
  at: { question: number; attempt: 1 | 2 },
  form: Record<string, string>,
): Promise<{ snapshot: ModulationSnapshot; next: LamlInput }> {
  const cb = parseGatherCallback(form);
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  const survey = call.snapshot.survey;
  const question = survey?.questions[at.question];
  if (!survey || !question) throw new NotFoundError("This call has no such survey question.");

  await appendCallEvent(tx, call, "provider.gather", { ...cb.payload, question: at.question, attempt: at.attempt }, {
    dedupeKey: `gather:${cb.callSid ?? ""}:${at.question}:${at.attempt}`,
  });

  const [existing] = await tx<{ answer: string; source: AnswerRecord["source"] | null }[]>`
    select answer, source from public.survey_answers where call_id = ${call.id} and question_index = ${at.question}`;
  let result: AnswerResult;
  if (existing) {
    // The question is answered: the survey goes on exactly as it did the first time.
    result = existing.answer === "invalid" ? { kind: "invalid" }
      : existing.source === "speech" ? { kind: "spoken", text: existing.answer, confidence: null }
        : { kind: "accepted", value: Number(existing.answer) };
  } else {
    result = evaluateAnswer(question, cb.digits, at.attempt, cb.speech);
    if (result.kind !== "reprompt") {
      const record: AnswerRecord = {
        organizationId: call.orgId,
        callId: call.id,
        surveyId: survey.id,
        surveyVersion: survey.version,
        surveySha256: survey.sha256,
        questionIndex: at.question,
        questionId: question.id,
        source: result.kind === "accepted" ? "keypad" : result.kind === "spoken" ? "speech" : "none",
        answer: result.kind === "accepted" ? String(result.value) : result.kind === "spoken" ? result.text : "invalid",
        digits: cb.digits ?? null,
        speechConfidence: result.kind === "spoken" ? result.confidence : null,
        attempts: at.attempt,
        provider: ANSWER_PROVIDER,
        providerSid: cb.callSid ?? null,
        receivedAt: new Date().toISOString(),
      };
      await tx`
        insert into public.survey_answers
          (organization_id, call_id, survey_id, survey_version, survey_sha256, question_index, question_id, source, answer,
           digits, speech_confidence, attempts, provider, provider_sid, received_at, answered_at, sha256)
        values (${record.organizationId}, ${record.callId}, ${record.surveyId}, ${record.surveyVersion}, ${record.surveySha256},
                ${record.questionIndex}, ${record.questionId}, ${record.source}, ${record.answer}, ${record.digits},
                ${record.speechConfidence}, ${record.attempts}, ${record.provider}, ${record.providerSid},
                ${record.receivedAt}, ${record.receivedAt}, ${canonicalSha256(answerDocument(record))})
        on conflict (call_id, question_index) do nothing`;
    }
  }
  return { snapshot: call.snapshot, next: nextSurveyStep(call.snapshot, at.question, result) };
}

/** A call's answers, in question order. */
export async function surveyAnswersOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<SurveyAnswerView[]> {
  const rows = await tx<(Omit<SurveyAnswerView, "speechConfidence"> & { speechConfidence: string | null })[]>`
    select question_index as "questionIndex", question_id as "questionId", answer, attempts, source,
           speech_confidence as "speechConfidence", survey_version as "surveyVersion", sha256
    from public.survey_answers where organization_id = ${orgId} and call_id = ${callId} order by question_index`;
  return rows.map((r) => ({ ...r, speechConfidence: r.speechConfidence === null ? null : Number(r.speechConfidence) }));
}
