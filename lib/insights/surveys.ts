import "server-only";
import { ANSWER_VALUES, type AnswerValue } from "@/lib/calls/contracts";
import type { Tx } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { listUrl, type InsightsRange } from "@/lib/insights/buckets";
import type { QuestionStats, SurveyInsights } from "@/lib/insights/contracts";
import type { CampaignRef } from "@/lib/insights/scope";
import { findVersion } from "@/lib/surveys/versions";

/**
 * A survey's insights (docs/adr/0036): per question, how the calls created in the range that
 * ran the survey (any version) answered it: each keypad digit, `invalid` (re-prompted and
 * missed again) and `speech` (any spoken answer; the words themselves are on each call). Read
 * as the member (RLS on: answers need survey.read). A question is its id across versions, named
 * by the latest version's prompt. Each count's URL lists exactly its calls (`answer=<id>:<value>`).
 */

interface Scope { orgId: string; surveyId: string; range: InsightsRange; campaign: CampaignRef | null }

function surveyCalls(tx: Tx, { orgId, surveyId, range, campaign }: Scope) {
  return tx`
    select c.id, c.organization_id
    from public.calls c
    where c.organization_id = ${orgId} and c.snapshot_survey_id = ${surveyId}
      ${campaign ? tx`and c.campaign_id = ${campaign.id}::uuid` : tx``}
      and c.created_at >= ${range.fromAt}::timestamptz and c.created_at < ${range.toBefore}::timestamptz`;
}

export async function surveyInsights(
  tx: Tx,
  scope: Scope,
): Promise<SurveyInsights> {
  const { orgId, surveyId, range, campaign } = scope;
  const survey = await findVersion(tx, "survey", { orgId, id: surveyId });
  if (!survey) throw new NotFoundError("No such survey.");
  const [[totals], rows] = await Promise.all([
    tx<{ calls: number; answered: number }[]>`
      with sc as materialized (${surveyCalls(tx, scope)})
      select count(*)::int as calls,
             count(*) filter (where exists (select 1 from public.survey_answers sa where sa.organization_id = sc.organization_id and sa.call_id = sc.id))::int as answered
      from sc`,
    tx<{ questionId: string; value: AnswerValue; count: number }[]>`
      with sc as materialized (${surveyCalls(tx, scope)})
      select sa.question_id as "questionId",
             case when sa.source = 'speech' then 'speech' else sa.answer end as value,
             count(*)::int as count
      from public.survey_answers sa join sc on sc.id = sa.call_id
      where sa.organization_id = ${orgId}
      group by 1, 2`,
  ]);

  const base = { survey: surveyId, campaign: campaign?.id, from: range.from, to: range.to };
  const questions = survey.version.questions;
  const seen = [...new Set(rows.map((r) => r.questionId))];
  const ids = [...questions.map((q) => q.id), ...seen.filter((id) => !questions.some((q) => q.id === id)).sort()];
  const order = (v: string) => ANSWER_VALUES.indexOf(v as AnswerValue);
  const stats = ids.map((questionId): QuestionStats => {
    const question = questions.find((q) => q.id === questionId);
    const counts = new Map(rows.filter((r) => r.questionId === questionId).map((r) => [r.value, r.count]));
    // The values this question can take, zeros included, then any other an older version stored.
    const possible: AnswerValue[] = question
      ? [
          ...(question.keypad ? ANSWER_VALUES.slice(question.keypad.min, question.keypad.max + 1) : []),
          "invalid",
          ...(question.speech ? (["speech"] as const) : []),
        ]
      : [];
    const values = [...possible, ...[...counts.keys()].filter((v) => !possible.includes(v)).sort((a, b) => order(a) - order(b))];
    const answers = values.map((value) => ({ value, count: counts.get(value) ?? 0, url: listUrl({ ...base, answer: `${questionId}:${value}` }) }));
    return { questionId, prompt: question?.prompt ?? null, answered: answers.reduce((n, a) => n + a.count, 0), answers };
  });

  return {
    survey: { id: surveyId, title: survey.version.title, latestVersion: survey.version.version },
    campaign,
    range: { from: range.from, to: range.to, bucket: range.bucket },
    calls: totals!.calls,
    answeredCalls: totals!.answered,
    url: listUrl(base),
    questions: stats,
  };
}
