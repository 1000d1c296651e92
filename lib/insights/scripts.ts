import "server-only";
import type { CallView } from "@/lib/calls/call-view";
import { CRITERION_OUTCOMES, type CriterionOutcome } from "@/lib/calls/contracts";
import type { Tx } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { bucketsOf, listUrl, type InsightsRange } from "@/lib/insights/buckets";
import type { CriterionStats, ScorePoint, ScriptInsights } from "@/lib/insights/contracts";
import type { CampaignRef } from "@/lib/insights/scope";
import { findVersion } from "@/lib/surveys/versions";

/**
 * A shopper script's insights (docs/adr/0036): the outcome funnel, the mean score per day or
 * week, how the current scores judged each rubric criterion, and the mean score per number
 * called, over the calls created in the range that ran the script (any version).
 *
 * Read as the member (RLS on), so each count counts what the member could list: scores need
 * survey.read, recordings and transcripts recording.play. A score is the call's current one
 * (no later score supersedes it). Every count's URL is the call list filtered to exactly those
 * calls; the tests run each URL's filters through the list and compare.
 *
 * The calls are chosen in one place (`scriptCalls`): a campaign's insights add
 * `and c.campaign_id = …` there and `campaign=` to every URL, and nothing else changes.
 *
 * Per target and per tag: a call belongs to the saved target whose number it dialled (one per
 * number in an organization) and counts under each of that target's tags, as the list's
 * `tag=` filter reads it.
 */

/** Percent with one decimal, from a fraction Postgres averaged. */
const percent = (fraction: string | null) => (fraction === null ? null : Math.round(Number(fraction) * 1000) / 10);

interface Scope { orgId: string; scriptId: string; range: InsightsRange; campaign: CampaignRef | null }

function scriptCalls(tx: Tx, { orgId, scriptId, range, campaign }: Scope) {
  return tx`
    select c.id, c.status, c.created_at, c.to_number, c.to_number_hash, c.organization_id
    from public.calls c
    where c.organization_id = ${orgId} and c.snapshot_script_id = ${scriptId}
      ${campaign ? tx`and c.campaign_id = ${campaign.id}::uuid` : tx``}
      and c.created_at >= ${range.fromAt}::timestamptz and c.created_at < ${range.toBefore}::timestamptz`;
}

/** One row per group (a number or a tag) and bucket: its scored calls and their mean score. */
interface GroupBucketRow { key: string; bucket: string; scored: number; average: string | null }

/**
 * Each group's total and its points, one per bucket of the range (empty ones with no mean), in
 * the order of `totals`; `url` narrows the list to the group.
 */
function groupSeries<T>(
  range: InsightsRange,
  totals: { key: string; scored: number; average: string | null }[],
  rows: GroupBucketRow[],
  url: (key: string, span: { from: string; to: string }) => string,
  shape: (key: string, scoredCalls: number, averageScore: number | null, url: string, points: ScorePoint[]) => T,
): T[] {
  const byKey = new Map<string, Map<string, GroupBucketRow>>();
  for (const r of rows) byKey.set(r.key, (byKey.get(r.key) ?? new Map()).set(r.bucket, r));
  const buckets = bucketsOf(range);
  return totals.map((t) => {
    const mine = byKey.get(t.key);
    const points = buckets.map((b) => {
      const p = mine?.get(b.key);
      return { from: b.from, to: b.to, scoredCalls: p?.scored ?? 0, averageScore: p ? percent(p.average) : null, url: url(t.key, b) };
    });
    return shape(t.key, t.scored, percent(t.average), url(t.key, range), points);
  });
}

/** The current score of each call of `sc` (the latest, should there ever be two). */
function currentScores(tx: Tx, orgId: string) {
  return tx`
    select distinct on (a.call_id) a.call_id, (a.body ->> 'score')::numeric as score, a.body -> 'criteria' as criteria, a.produced_at
    from public.call_artifacts a
    where a.organization_id = ${orgId} and a.kind = 'score' and a.call_id in (select id from sc)
      and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id)
    order by a.call_id, a.produced_at desc, a.id desc`;
}

export async function scriptInsights(
  tx: Tx,
  { orgId, scriptId, range, campaign, view }: Scope & { view: CallView },
): Promise<ScriptInsights> {
  const script = await findVersion(tx, "shopperScript", { orgId, id: scriptId });
  if (!script) throw new NotFoundError("No such shopper script.");
  const scope = { orgId, scriptId, range, campaign };
  const bucket = range.bucket === "day"
    ? tx`(sc.created_at at time zone 'UTC')::date`
    : tx`date_trunc('week', sc.created_at at time zone 'UTC')::date`;

  const [funnelRows, pointRows, criterionRows, numberRows, tagRows] = await Promise.all([
    tx<{ dialled: number; answered: number; recorded: number; transcribed: number; scored: number }[]>`
      with sc as materialized (${scriptCalls(tx, scope)}),
      stages as (
        select sc.id,
          sc.status in ('in_progress', 'completed') as answered,
          exists (select 1 from public.recordings r where r.organization_id = sc.organization_id and r.call_id = sc.id and r.status = 'stored') as recorded,
          -- The transcript the list's has=transcript reads for a member who did not ask for the original.
          exists (select 1 from public.call_artifacts a where a.organization_id = sc.organization_id and a.call_id = sc.id
                    and (a.kind = 'redacted_transcript' or (a.kind = 'transcript' and not a.restricted))
                    and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id)) as transcribed,
          exists (select 1 from public.call_artifacts a where a.organization_id = sc.organization_id and a.call_id = sc.id and a.kind = 'score'
                    and (a.body ->> 'score')::numeric >= 0
                    and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id)) as scored
        from sc)
      select count(*)::int as dialled,
             count(*) filter (where answered)::int as answered,
             count(*) filter (where answered and recorded)::int as recorded,
             count(*) filter (where answered and recorded and transcribed)::int as transcribed,
             count(*) filter (where answered and recorded and transcribed and scored)::int as scored
      from stages`,
    tx<{ bucket: string; scored: number; average: string | null }[]>`
      with sc as materialized (${scriptCalls(tx, scope)}),
      cs as (${currentScores(tx, orgId)})
      select to_char(${bucket}, 'YYYY-MM-DD') as bucket, count(*)::int as scored, avg(cs.score)::text as average
      from sc join cs on cs.call_id = sc.id
      where cs.score is not null
      group by 1`,
    tx<{ id: string; label: string; pass: number; fail: number; no_evidence: number }[]>`
      with sc as materialized (${scriptCalls(tx, scope)}),
      cs as (${currentScores(tx, orgId)})
      select e ->> 'criterionId' as id,
             (array_agg(e ->> 'label' order by cs.produced_at desc))[1] as label,
             count(*) filter (where e ->> 'outcome' = 'pass')::int as pass,
             count(*) filter (where e ->> 'outcome' = 'fail')::int as fail,
             count(*) filter (where e ->> 'outcome' = 'no_evidence')::int as no_evidence
      from cs cross join lateral jsonb_array_elements(cs.criteria) e
      group by 1`,
    view.numbers
      ? tx<{ key: string; target: string | null; scored: number; average: string | null; buckets: GroupBucketRow[] }[]>`
          with sc as materialized (${scriptCalls(tx, scope)}),
          cs as (${currentScores(tx, orgId)}),
          scored as (
            select sc.to_number as key, ${bucket} as day, cs.score
            from sc join cs on cs.call_id = sc.id
            where cs.score is not null),
          top as (
            select key, count(*)::int as scored, avg(score)::text as average
            from scored group by key order by count(*) desc, key limit 20)
          select top.key, top.scored, top.average,
                 (select t.name from public.voice_targets t where t.organization_id = ${orgId}
                    and t.number_hash = (select sc.to_number_hash from sc where sc.to_number = top.key limit 1)) as target,
                 (select coalesce(jsonb_agg(jsonb_build_object('key', top.key, 'bucket', to_char(b.day, 'YYYY-MM-DD'), 'scored', b.n, 'average', b.a::text)), '[]')
                    from (select day, count(*)::int as n, avg(score) as a from scored where scored.key = top.key group by day) b) as buckets
          from top
          order by top.scored desc, top.key`
      : null,
    tx<{ key: string; scored: number; average: string | null; buckets: GroupBucketRow[] }[]>`
      with sc as materialized (${scriptCalls(tx, scope)}),
      cs as (${currentScores(tx, orgId)}),
      scored as (
        select tag as key, ${bucket} as day, cs.score
        from sc join cs on cs.call_id = sc.id
        join public.voice_targets t on t.organization_id = sc.organization_id and t.number_hash = sc.to_number_hash
        cross join lateral unnest(t.tags) as tag
        where cs.score is not null),
      top as (
        select key, count(*)::int as scored, avg(score)::text as average
        from scored group by key order by count(*) desc, key limit 10)
      select top.key, top.scored, top.average,
             (select coalesce(jsonb_agg(jsonb_build_object('key', top.key, 'bucket', to_char(b.day, 'YYYY-MM-DD'), 'scored', b.n, 'average', b.a::text)), '[]')
                from (select day, count(*)::int as n, avg(score) as a from scored where scored.key = top.key group by day) b) as buckets
      from top
      order by top.scored desc, top.key`,
  ]);

  const base = { script: scriptId, campaign: campaign?.id, from: range.from, to: range.to };
  const f = funnelRows[0]!;
  const answered = { status: "in_progress,completed" };
  const funnel: ScriptInsights["funnel"] = [
    { stage: "dialled", calls: f.dialled, url: listUrl(base) },
    { stage: "answered", calls: f.answered, url: listUrl({ ...base, ...answered }) },
    { stage: "recorded", calls: f.recorded, url: listUrl({ ...base, ...answered, has: "recording" }) },
    { stage: "transcribed", calls: f.transcribed, url: listUrl({ ...base, ...answered, has: "recording,transcript" }) },
    { stage: "scored", calls: f.scored, url: listUrl({ ...base, ...answered, has: "recording,transcript", scoreMin: 0 }) },
  ];

  const points = new Map(pointRows.map((p) => [p.bucket, p]));
  const scoreOverTime = bucketsOf(range).map((b) => {
    const p = points.get(b.key);
    return {
      from: b.from,
      to: b.to,
      scoredCalls: p?.scored ?? 0,
      averageScore: p ? percent(p.average) : null,
      url: listUrl({ ...base, from: b.from, to: b.to, scoreMin: 0 }),
    };
  });

  const order = script.version.rubric.criteria.map((c) => c.id);
  const byId = new Map(criterionRows.map((r) => [r.id, r]));
  const ids = [...order, ...criterionRows.map((r) => r.id).filter((id) => !order.includes(id)).sort()];
  const criteria = ids.map((id): CriterionStats => {
    const row = byId.get(id);
    const counts = { pass: row?.pass ?? 0, fail: row?.fail ?? 0, no_evidence: row?.no_evidence ?? 0 };
    const decided = counts.pass + counts.fail;
    return {
      criterionId: id,
      label: row?.label ?? script.version.rubric.criteria.find((c) => c.id === id)!.label,
      current: order.includes(id),
      counts,
      passRate: decided ? Math.round((counts.pass / decided) * 1000) / 10 : null,
      urls: Object.fromEntries(CRITERION_OUTCOMES.map((o) => [o, listUrl({ ...base, criterion: `${id}:${o}` })])) as Record<CriterionOutcome, string>,
    };
  });

  return {
    script: { id: scriptId, title: script.version.title, latestVersion: script.version.version },
    campaign,
    range: { from: range.from, to: range.to, bucket: range.bucket },
    url: listUrl(base),
    funnel,
    scoreOverTime,
    criteria,
    numbers: numberRows
      ? groupSeries(range, numberRows, numberRows.flatMap((n) => n.buckets),
          (key, span) => listUrl({ ...base, ...span, scoreMin: 0, number: key.replace(/\D/g, "") }),
          (number, scoredCalls, averageScore, url, points) => ({ number, target: numberRows.find((n) => n.key === number)!.target, scoredCalls, averageScore, url, points }))
      : null,
    tags: groupSeries(range, tagRows, tagRows.flatMap((t) => t.buckets),
      (key, span) => listUrl({ ...base, ...span, scoreMin: 0, tag: key }),
      (tag, scoredCalls, averageScore, url, points) => ({ tag, scoredCalls, averageScore, url, points })),
  };
}
