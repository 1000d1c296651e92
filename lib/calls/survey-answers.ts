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

/**
 * Survey answers: the one module that reads and writes `public.survey_answers`, and the Gather
 * action that fills it. One row per question: the accepted digit, or `invalid` after an
 * out-of-range answer was re-prompted once and answered out of range again.
 */

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

  const [existing] = await tx<{ answer: string }[]>`
    select answer from public.survey_answers where call_id = ${call.id} and question_index = ${at.question}`;
  let result: AnswerResult;
  if (existing) {
    result = existing.answer === "invalid" ? { kind: "invalid" } : { kind: "accepted", value: Number(existing.answer) };
  } else {
    result = evaluateAnswer(question, cb.digits, at.attempt);
    if (result.kind !== "reprompt") {
      await tx`
        insert into public.survey_answers
          (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer, digits, attempts)
        values (${call.orgId}, ${call.id}, ${survey.id}, ${survey.version}, ${at.question}, ${question.id},
                ${result.kind === "accepted" ? String(result.value) : "invalid"}, ${cb.digits ?? null}, ${at.attempt})
        on conflict (call_id, question_index) do nothing`;
    }
  }
  return { snapshot: call.snapshot, next: nextSurveyStep(call.snapshot, at.question, result) };
}

/** A call's answers, in question order. */
export async function surveyAnswersOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<SurveyAnswerView[]> {
  return tx<SurveyAnswerView[]>`
    select question_index as "questionIndex", question_id as "questionId", answer, attempts
    from public.survey_answers where organization_id = ${orgId} and call_id = ${callId} order by question_index`;
}
