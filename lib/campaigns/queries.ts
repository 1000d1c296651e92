import "server-only";
import type { Tx } from "@/lib/db";
import { maskNumber } from "@/lib/calls/call-view";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import { openNumbers } from "@/lib/pii/numbers";
import { type CampaignProgress, type CampaignView, type CampaignTargetState, CAMPAIGN_TARGET_STATES, ATTEMPT_OUTCOMES } from "@/lib/campaigns/contracts";
import { actsFrom, type CampaignState } from "@/lib/campaigns/states";
import { campaignScheduleSchema, callableIntervals } from "@/lib/campaigns/windows";

/** Reads of campaigns, their targets and attempts, in the caller's transaction (RLS for members). */

interface CampaignRow {
  id: string;
  name: string;
  state: CampaignState;
  modulations: Record<string, unknown> & {
    record: boolean;
    transcribe: boolean;
    translate: unknown;
    survey: { id: string; version: number } | null;
    shopperScript: { id: string; version: number } | null;
  };
  selection: CampaignView["selection"];
  schedule: CampaignView["schedule"];
  pace: CampaignView["pace"];
  retry: CampaignView["retry"];
  spread: boolean;
  createdBy: string;
  launchedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  launchedAt: Date | null;
  endedAt: Date | null;
}

const COLUMNS = (tx: Tx) => tx`
  id, name, state, modulations, selection, schedule, pace, retry_policy as retry, spread,
  created_by as "createdBy", launched_by as "launchedBy", created_at as "createdAt", updated_at as "updatedAt",
  launched_at as "launchedAt", ended_at as "endedAt"`;

function view(row: CampaignRow): CampaignView {
  const m = row.modulations;
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    acts: actsFrom(row.state).filter((a) => a !== "start" && a !== "complete"),
    modulations: { record: m.record, transcribe: m.transcribe, translate: Boolean(m.translate), survey: Boolean(m.survey), shopperScript: Boolean(m.shopperScript) },
    survey: m.survey ? { id: m.survey.id, version: m.survey.version } : null,
    shopperScript: m.shopperScript ? { id: m.shopperScript.id, version: m.shopperScript.version } : null,
    selection: row.selection,
    schedule: row.schedule,
    pace: row.pace,
    retry: row.retry,
    spread: row.spread,
    createdBy: row.createdBy,
    launchedBy: row.launchedBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    launchedAt: row.launchedAt?.toISOString() ?? null,
    endedAt: row.endedAt?.toISOString() ?? null,
  };
}

export async function findCampaign(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<CampaignView | null> {
  const [row] = await tx<CampaignRow[]>`select ${COLUMNS(tx)} from public.campaigns where organization_id = ${orgId} and id = ${id}`;
  return row ? view(row) : null;
}

/** Newest first, a page at a time (`before` is the last page's `nextBefore`). */
export async function listCampaigns(tx: Tx, { orgId, before, limit }: { orgId: string; before?: string; limit: number }): Promise<{ campaigns: CampaignView[]; nextBefore: string | null }> {
  const [at, id] = before?.split("|") ?? [];
  const cursor = at && id && !Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id) ? { at, id } : null;
  const rows = await tx<CampaignRow[]>`
    select ${COLUMNS(tx)} from public.campaigns
    where organization_id = ${orgId} ${cursor ? tx`and (created_at, id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : tx``}
    order by created_at desc, id desc limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { campaigns: page.map(view), nextBefore: rows.length > limit && last ? `${last.createdAt.toISOString()}|${last.id}` : null };
}

/** What the runner needs of a campaign (service path). */
export interface CampaignForRun {
  id: string;
  orgId: string;
  state: CampaignState;
  modulations: Record<string, unknown>;
  selection: CampaignView["selection"];
  schedule: CampaignView["schedule"];
  pace: CampaignView["pace"];
  retry: CampaignView["retry"];
  spread: boolean;
  launchedBy: string | null;
  createdBy: string;
  plan: "base" | "pro" | "insights" | "global";
}

export async function campaignForRun(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<CampaignForRun | null> {
  const [row] = await tx<CampaignForRun[]>`
    select c.id, c.organization_id as "orgId", c.state, c.modulations, c.selection, c.schedule, c.pace, c.retry_policy as retry,
           c.spread, c.launched_by as "launchedBy", c.created_by as "createdBy", o.plan::text as plan
    from public.campaigns c join public.organizations o on o.id = c.organization_id
    where c.organization_id = ${orgId} and c.id = ${id}`;
  // The runner dials with the snapshot: its caller id opened (docs/adr/0044).
  return row ? { ...row, modulations: (await openSnapshotNumbers(tx, orgId, "campaigns.modulations", row.modulations)) as CampaignForRun["modulations"] } : null;
}

/**
 * Progress (GET /api/campaigns/:id/progress): targets by state, dials by outcome, scores so far
 * (when `scores` — the caller may read shopper results), the pace achieved over the last minute
 * and from the first dial to the last, and an ETA: the remaining targets at the overall pace,
 * laid over the calling windows of the zone most remaining targets are in, before the end.
 */
export async function campaignProgress(tx: Tx, { orgId, id, scores, now = new Date() }: { orgId: string; id: string; scores: boolean; now?: Date }): Promise<CampaignProgress | null> {
  const [campaign] = await tx<{ state: CampaignState; schedule: CampaignView["schedule"]; pace: CampaignView["pace"] }[]>`
    select state, schedule, pace from public.campaigns where organization_id = ${orgId} and id = ${id}`;
  if (!campaign) return null;
  const [byState, byOutcome, rate, zone, score] = await Promise.all([
    tx<{ state: CampaignTargetState; n: number }[]>`
      select state, count(*)::int as n from public.campaign_targets where organization_id = ${orgId} and campaign_id = ${id} group by state`,
    tx<{ outcome: string | null; n: number }[]>`
      select outcome, count(*)::int as n from public.campaign_attempts where organization_id = ${orgId} and campaign_id = ${id} group by outcome`,
    tx<{ lastMinute: number; first: Date | null; last: Date | null; n: number }[]>`
      select count(*) filter (where created_at > ${now} - interval '1 minute')::int as "lastMinute",
             min(created_at) as first, max(created_at) as last, count(*)::int as n
      from public.campaign_attempts where organization_id = ${orgId} and campaign_id = ${id}`,
    tx<{ timeZone: string }[]>`
      select time_zone as "timeZone" from public.campaign_targets
      where organization_id = ${orgId} and campaign_id = ${id} and state in ('pending', 'retrying', 'calling')
      group by time_zone order by count(*) desc, time_zone limit 1`,
    scores
      ? tx<{ scored: number; average: number | null; min: number | null; max: number | null }[]>`
          select count(*)::int as scored, avg(s)::float8 as average, min(s)::float8 as min, max(s)::float8 as max
          from (select (a.body ->> 'score')::numeric as s
                from public.calls c join public.call_artifacts a on a.organization_id = c.organization_id and a.call_id = c.id
                where c.organization_id = ${orgId} and c.campaign_id = ${id} and a.kind = 'score'
                  and not exists (select 1 from public.call_artifacts n where n.supersedes = a.id)) x`
      : Promise.resolve(null),
  ]);
  const targets = Object.fromEntries(CAMPAIGN_TARGET_STATES.map((s) => [s, byState.find((r) => r.state === s)?.n ?? 0])) as Record<CampaignTargetState, number>;
  const total = byState.reduce((sum, r) => sum + r.n, 0);
  const outcomes = Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, byOutcome.find((r) => r.outcome === o)?.n ?? 0]));
  const dials = byOutcome.reduce((sum, r) => sum + r.n, 0);
  const r = rate[0]!;
  const spanS = r.first && r.last ? (r.last.getTime() - r.first.getTime()) / 1000 : 0;
  const overall = r.n >= 2 && spanS > 0 ? r.n / spanS : null;
  const remaining = targets.pending + targets.retrying + targets.calling;
  let eta: string | null = null;
  if (remaining === 0) eta = now.toISOString();
  else if (overall && zone[0] && (campaign.state === "running" || campaign.state === "scheduled")) {
    const schedule = campaignScheduleSchema.parse(campaign.schedule);
    let needMs = (remaining / overall) * 1000;
    for (const i of callableIntervals(schedule, zone[0].timeZone, now, 60)) {
      const length = i.end.getTime() - i.start.getTime();
      if (needMs <= length) {
        eta = new Date(i.start.getTime() + needMs).toISOString();
        break;
      }
      needMs -= length;
    }
  }
  const sc = score?.[0];
  return {
    state: campaign.state,
    targets: { total, ...targets },
    outcomes: { dials, open: byOutcome.find((o) => o.outcome === null)?.n ?? 0, ...outcomes } as CampaignProgress["outcomes"],
    scores: sc && sc.scored > 0 ? sc : scores && sc ? { scored: 0, average: null, min: null, max: null } : null,
    pace: { lastMinute: r.lastMinute / 60, overall, asked: campaign.pace.dialsPerSecond },
    eta,
    remaining,
  };
}

export interface ResultRow {
  name: string;
  number: string;
  state: CampaignTargetState;
  attempts: number;
  lastOutcome: string | null;
  callIds: string[];
  score: number | null;
}

/** One row per target for the results CSV, by name; numbers masked unless `numbers`. */
export async function campaignResults(tx: Tx, { orgId, id, numbers, scores }: { orgId: string; id: string; numbers: boolean; scores: boolean }): Promise<ResultRow[]> {
  const rows = await tx<ResultRow[]>`
    select t.name, t.number, t.state, t.attempts, t.last_outcome as "lastOutcome", t.call_ids::text[] as "callIds",
      ${scores ? tx`(select (a.body ->> 'score')::float8 from public.call_artifacts a
         where a.organization_id = t.organization_id and a.call_id = any (t.call_ids) and a.kind = 'score'
           and not exists (select 1 from public.call_artifacts n where n.supersedes = a.id)
         order by a.produced_at desc limit 1)` : tx`null::float8`} as score
    from public.campaign_targets t
    where t.organization_id = ${orgId} and t.campaign_id = ${id}
    order by t.name, t.id`;
  const opened = await openNumbers(tx, rows.map((r) => ({ orgId, field: "campaign_targets.number" as const, value: r.number })));
  return rows.map((r, i) => ({ ...r, number: numbers ? opened[i]! : maskNumber(opened[i]!) }));
}
