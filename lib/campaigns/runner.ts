import "server-only";
import { frozenSnapshotSchema, placeCampaignCall } from "@/lib/calls/place-call";
import { asService, type Tx } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { UnprocessableError } from "@/lib/errors";
import { enqueue } from "@/lib/jobs";
import type { Logger } from "@/lib/logger";
import { openNumber, openNumbers, sealNumber } from "@/lib/pii/numbers";
import type { Membership } from "@/lib/rbac/membership";
import { e164Of } from "@/lib/targets/numbers";
import { CAMPAIGN_MAX_TARGETS, type CampaignTargetState } from "@/lib/campaigns/contracts";
import { lockCampaign, moveCampaign } from "@/lib/campaigns/campaigns";
import { takeDialSlot, takeSendSlot } from "@/lib/campaigns/pace";
import { campaignForRun, type CampaignForRun } from "@/lib/campaigns/queries";
import { nextAttempt, type DialOutcome } from "@/lib/campaigns/retry";
import { campaignScheduleSchema, checkTimeZone, isCallable, nextCallableAt, spreadCallAt, type CampaignSchedule } from "@/lib/campaigns/windows";

/**
 * The campaign runner, on the job queue (docs/adr/0035). The one writer of
 * `public.campaign_targets` and `public.campaign_attempts`.
 *
 * - Launch materialises one row per selected target: marked do-not-call → skipped_dnc, a number
 *   or zone that does not validate → skipped_invalid, no window before the end → skipped_window,
 *   else pending, due at its first callable instant (or, spread, a seeded instant of its window).
 * - `campaign_tick` (one queued per campaign: its job key) picks due targets with
 *   `for update skip locked`, checks the window on the target's clock and the do-not-call mark
 *   as it is NOW, takes a pace slot, and records the attempt (unique per target and attempt:
 *   the idempotency key) in that same transaction; only after it commits is the call placed,
 *   under the Idempotency-Key `campaign:<campaign>:<target>:<attempt>`. A crash between the
 *   commit and the dial leaves an attempt without a call, which a later tick places under the
 *   same key: whoever inserts the call dials, anyone else finds it and dials nobody.
 * - `campaign_call_ended` (queued by a trigger when a campaign's call reaches a final status)
 *   applies the retry policy: retrying at the next instant it allows, or done.
 */

/** The runner asks the pace for a little less than the campaign's: a grant becomes a dial at the carrier after a commit and an HTTP request, whose delays vary (docs/adr/0034). */
export const PACE_MARGIN = 0.9;
/** How long one tick keeps dialling before it hands on to the next job. */
const TICK_BUDGET_MS = 2000;
/** An attempt this old with no call was left by a crash (or a dial that threw): placed again under its key. */
const ORPHAN_AFTER_MS = 30_000;

const idempotencyKey = (campaignId: string, targetId: string, attempt: number) => `campaign:${campaignId}:${targetId}:${attempt}`;

function scheduleOf(c: Pick<CampaignForRun, "schedule">): CampaignSchedule {
  return campaignScheduleSchema.parse(c.schedule);
}

/** The first (or next) instant a target is due, or null when the schedule has no window left for it. */
function dueAt(c: Pick<CampaignForRun, "id" | "spread">, schedule: CampaignSchedule, timeZone: string, from: Date, targetId: string, attempt: number): Date | null {
  return c.spread ? spreadCallAt(schedule, timeZone, from, { campaignId: c.id, targetId, attempt }) : nextCallableAt(schedule, timeZone, from);
}

// ---------------------------------------------------------------------------------------------
// Launch

interface SelectedTarget {
  id: string;
  name: string;
  number: string;
  timeZone: string;
  dnc: boolean;
}

/**
 * Launch a draft (the member holds `campaign.manage`, in their transaction): move it to
 * scheduled (the trigger queues its first tick at its start) and materialise its targets.
 */
export async function launchCampaign(tx: Tx, { membership, id, now = new Date() }: { membership: Membership; id: string; now?: Date }): Promise<{ targets: Record<CampaignTargetState, number> }> {
  const orgId = membership.orgId;
  await moveCampaign(tx, { orgId, id, act: "launch", userId: membership.userId });
  const [campaign] = await tx<Pick<CampaignForRun, "id" | "selection" | "schedule" | "spread">[]>`
    select id, selection, schedule, spread from public.campaigns where organization_id = ${orgId} and id = ${id}`;
  const c = campaign!;
  const selected = await tx<SelectedTarget[]>`
    select id, name, number, time_zone as "timeZone", dnc from public.voice_targets
    where organization_id = ${orgId}
      and ${"tags" in c.selection ? tx`tags @> ${c.selection.tags}::text[]` : tx`id = any (${c.selection.targetIds}::uuid[])`}
    order by name, id
    limit ${CAMPAIGN_MAX_TARGETS + 1}`;
  if (selected.length === 0) throw new UnprocessableError("The campaign's selection names no saved target: nothing to dial.", "no_targets");
  if (selected.length > CAMPAIGN_MAX_TARGETS) {
    throw new UnprocessableError(`The selection names more than ${CAMPAIGN_MAX_TARGETS} targets; one campaign dials at most ${CAMPAIGN_MAX_TARGETS}. Narrow its tags.`, "too_many_targets", { max: CAMPAIGN_MAX_TARGETS });
  }
  const schedule = scheduleOf(c);
  const from = new Date(Math.max(now.getTime(), schedule.startsAt.getTime()));
  const numbers = await openNumbers(tx, selected.map((t) => ({ orgId, field: "voice_targets.number" as const, value: t.number })));
  // The campaign's copy is sealed too (docs/adr/0044); one by one, so only the first may read the data key.
  const copies: string[] = [];
  for (const number of numbers) copies.push(await sealNumber(tx, orgId, "campaign_targets.number", number));
  const rows = selected.map((t, i) => {
    let state: CampaignTargetState = "pending";
    let nextAt: Date | null = null;
    let zoneOk = true;
    try {
      checkTimeZone(t.timeZone);
    } catch {
      zoneOk = false;
    }
    if (t.dnc) state = "skipped_dnc";
    else if (!e164Of(numbers[i]!) || !zoneOk) state = "skipped_invalid";
    else {
      nextAt = dueAt(c, schedule, t.timeZone, from, t.id, 1);
      if (!nextAt) state = "skipped_window";
    }
    return { target_id: t.id, name: t.name, number: copies[i]!, time_zone: t.timeZone, state, next_at: nextAt?.toISOString() ?? null };
  });
  await tx`
    insert into public.campaign_targets (organization_id, campaign_id, target_id, name, number, time_zone, state, next_at)
    select ${orgId}, ${id}, r.target_id, r.name, r.number, r.time_zone, r.state, r.next_at
    from jsonb_to_recordset(${tx.json(rows as never)}) as r (target_id uuid, name text, number text, time_zone text, state text, next_at timestamptz)`;
  const counts = Object.fromEntries(["pending", "calling", "retrying", "done", "skipped_dnc", "skipped_window", "skipped_invalid"].map((s) => [s, 0])) as Record<CampaignTargetState, number>;
  for (const r of rows) counts[r.state]++;
  return { targets: counts };
}

// ---------------------------------------------------------------------------------------------
// Tick

export interface TickOptions {
  log: Logger;
  /** How long to keep dialling (default 2 s). */
  budgetMs?: number;
  /** How old an attempt without a call must be to be placed again (default 30 s). */
  orphanAfterMs?: number;
  /** Tests: runs after the attempt committed and before the call is placed (throw to play a crash). */
  beforeDial?: (attempt: GrantedAttempt) => Promise<void> | void;
  /** Whether to queue the next tick (default true). */
  reenqueue?: boolean;
}

export interface GrantedAttempt {
  attemptId: string;
  campaignTargetId: string;
  targetId: string;
  attempt: number;
  /** The number to dial, opened (the row keeps it sealed). */
  number: string;
  key: string;
  grantedAt: Date;
}

type Step =
  | { kind: "none"; nextDueInMs: number | null }
  | { kind: "skipped" }
  | { kind: "granted"; attempt: GrantedAttempt }
  | { kind: "pace"; retryInMs: number }
  | { kind: "live" };

export interface TickResult {
  dialled: GrantedAttempt[];
  /** Attempts left by a crash that were placed again (under their own key). */
  resumed: number;
  state: CampaignForRun["state"] | null;
  /** When the next tick was queued for, if it was. */
  nextRunInMs: number | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCampaignTick({ orgId, campaignId }: { orgId: string; campaignId: string }, options: TickOptions): Promise<TickResult> {
  const { log } = options;
  const budgetMs = options.budgetMs ?? TICK_BUDGET_MS;
  const started = Date.now();
  const result: TickResult = { dialled: [], resumed: 0, state: null, nextRunInMs: null };

  let campaign = await asService((tx) => campaignForRun(tx, { orgId, id: campaignId }));
  if (!campaign) return result;
  const schedule = scheduleOf(campaign);
  if (campaign.state === "scheduled" && Date.now() >= schedule.startsAt.getTime()) {
    // Under the campaign's lock: a racing tick may have started it already.
    const state = await asService(async (tx) => {
      const locked = await lockCampaign(tx, { orgId, id: campaignId });
      return locked.state === "scheduled" ? moveCampaign(tx, { orgId, id: campaignId, act: "start" }) : locked.state;
    });
    campaign = { ...campaign, state };
  }
  result.state = campaign.state;
  // Paused, completed, cancelled (or scheduled for later: its tick is queued at its start): nothing to do, nothing queued.
  if (campaign.state !== "running") return result;
  if (Date.now() >= schedule.endsAt.getTime()) {
    result.state = await finishAtEnd(campaign);
    return result;
  }

  result.resumed = await resumeOrphans(campaign, schedule, options);
  const dials: Promise<void>[] = [];
  let nextRunInMs = 60_000;
  for (;;) {
    const step = await asService((tx) => takeOne(tx, campaign, schedule));
    if (step.kind === "skipped") continue;
    if (step.kind === "granted") {
      result.dialled.push(step.attempt);
      dials.push(dialAttempt(campaign, step.attempt, options));
      if (Date.now() - started >= budgetMs) {
        nextRunInMs = 0;
        break;
      }
      continue;
    }
    if (step.kind === "pace") {
      if (Date.now() - started + step.retryInMs < budgetMs) {
        await sleep(step.retryInMs);
        continue;
      }
      nextRunInMs = step.retryInMs;
      break;
    }
    if (step.kind === "live") {
      // A call ending queues a tick too; this one is the safety net.
      nextRunInMs = 5000;
      break;
    }
    nextRunInMs = step.nextDueInMs === null ? 60_000 : Math.min(step.nextDueInMs, 60_000);
    break;
  }
  await Promise.all(dials);

  const state = await asService(async (tx) => {
    const [open] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.campaign_targets
      where organization_id = ${orgId} and campaign_id = ${campaignId} and state in ('pending', 'calling', 'retrying')`;
    if (open!.n > 0) return null;
    const [now] = await tx<{ state: CampaignForRun["state"] }[]>`select state from public.campaigns where organization_id = ${orgId} and id = ${campaignId}`;
    return now?.state === "running" || now?.state === "paused" ? moveCampaign(tx, { orgId, id: campaignId, act: "complete" }) : (now?.state ?? null);
  });
  if (state) {
    result.state = state;
    log.info({ campaignId, state }, "campaign completed");
    return result;
  }
  if (options.reenqueue !== false) {
    result.nextRunInMs = Math.max(nextRunInMs, 0);
    await asService((tx) => queueTick(tx, { orgId, campaignId, inMs: result.nextRunInMs! }));
  }
  return result;
}

/** The campaign's next tick, unless it is no longer running (paused: resume queues one). */
async function queueTick(tx: Tx, { orgId, campaignId, inMs }: { orgId: string; campaignId: string; inMs: number }): Promise<void> {
  const [row] = await tx<{ state: string }[]>`select state from public.campaigns where organization_id = ${orgId} and id = ${campaignId}`;
  if (row?.state !== "running") return;
  await enqueue(tx, "campaign_tick", { orgId, campaignId }, { jobKey: `campaign_tick:${campaignId}`, runAt: new Date(Date.now() + inMs) });
}

/** The end has passed: targets still waiting never got a window; complete once nothing is in flight. */
async function finishAtEnd(campaign: CampaignForRun): Promise<CampaignForRun["state"]> {
  return asService(async (tx) => {
    await tx`
      update public.campaign_targets set state = 'skipped_window', next_at = null, updated_at = now()
      where organization_id = ${campaign.orgId} and campaign_id = ${campaign.id} and state in ('pending', 'retrying')`;
    const [calling] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.campaign_targets where organization_id = ${campaign.orgId} and campaign_id = ${campaign.id} and state = 'calling'`;
    if (calling!.n > 0) return campaign.state;
    return moveCampaign(tx, { orgId: campaign.orgId, id: campaign.id, act: "complete" });
  });
}

interface DueRow {
  id: string;
  targetId: string;
  /** As stored: sealed. */
  number: string;
  timeZone: string;
  attempts: number;
}

/** One due target, in one service transaction: window, do-not-call, pace, then the attempt recorded. */
async function takeOne(tx: Tx, campaign: CampaignForRun, schedule: CampaignSchedule): Promise<Step> {
  const { orgId, id: campaignId } = campaign;
  const [row] = await tx<DueRow[]>`
    select id, target_id as "targetId", number, time_zone as "timeZone", attempts
    from public.campaign_targets
    where campaign_id = ${campaignId} and organization_id = ${orgId} and state in ('pending', 'retrying') and next_at <= now()
    order by next_at, id
    limit 1
    for update skip locked`;
  if (!row) {
    const [next] = await tx<{ inMs: number | null }[]>`
      select (extract(epoch from min(next_at) - now()) * 1000)::float8 as "inMs" from public.campaign_targets
      where campaign_id = ${campaignId} and organization_id = ${orgId} and state in ('pending', 'retrying')`;
    return { kind: "none", nextDueInMs: next?.inMs === null || next?.inMs === undefined ? null : Math.max(0, Math.ceil(next.inMs)) };
  }
  const now = new Date();
  if (!isCallable(schedule, row.timeZone, now)) {
    const next = dueAt(campaign, schedule, row.timeZone, now, row.targetId, row.attempts + 1);
    await tx`
      update public.campaign_targets set next_at = ${next}, state = ${next ? tx`state` : tx`'skipped_window'`}, updated_at = now()
      where id = ${row.id}`;
    return { kind: "skipped" };
  }
  // The mark as it is now: a target marked after launch (or deleted) is never dialled.
  const [target] = await tx<{ dnc: boolean }[]>`select dnc from public.voice_targets where organization_id = ${orgId} and id = ${row.targetId}`;
  if (!target || target.dnc) {
    await tx`update public.campaign_targets set state = 'skipped_dnc', next_at = null, updated_at = now() where id = ${row.id}`;
    return { kind: "skipped" };
  }
  const slot = await takeDialSlot(tx, {
    orgId,
    campaignId,
    pace: { dialsPerSecond: campaign.pace.dialsPerSecond * PACE_MARGIN, maxLive: campaign.pace.maxLive },
    countLive: async (t) => {
      const [live] = await t<{ n: number }[]>`
        select count(*)::int as n from public.campaign_targets where campaign_id = ${campaignId} and organization_id = ${orgId} and state = 'calling'`;
      return live!.n;
    },
  });
  if (!slot.granted) return slot.reason === "pace" ? { kind: "pace", retryInMs: slot.retryInMs } : { kind: "live" };
  const attempt = row.attempts + 1;
  const key = idempotencyKey(campaignId, row.targetId, attempt);
  // The attempt first, in the transaction that took the slot: (target, attempt) is unique, so
  // however many workers race here, one attempt row exists and one call key follows from it.
  const [inserted] = await tx<{ id: string }[]>`
    insert into public.campaign_attempts (organization_id, campaign_id, campaign_target_id, attempt, idempotency_key)
    values (${orgId}, ${campaignId}, ${row.id}, ${attempt}, ${key})
    returning id`;
  await tx`update public.campaign_targets set state = 'calling', attempts = ${attempt}, next_at = null, updated_at = now() where id = ${row.id}`;
  const number = await openNumber(tx, orgId, "campaign_targets.number", row.number);
  return { kind: "granted", attempt: { attemptId: inserted!.id, campaignTargetId: row.id, targetId: row.targetId, attempt, number, key, grantedAt: slot.at } };
}

/** Place the attempt's call (after its transaction committed) and link the two. */
async function dialAttempt(campaign: CampaignForRun, a: GrantedAttempt, options: TickOptions): Promise<void> {
  try {
    await options.beforeDial?.(a);
    const placed = await placeCampaignCall({
      orgId: campaign.orgId,
      campaignId: campaign.id,
      userId: campaign.launchedBy ?? campaign.createdBy,
      planTier: campaign.plan,
      snapshot: frozenSnapshotSchema.parse(campaign.modulations),
      to: a.number,
      idempotencyKey: a.key,
      log: options.log,
      beforeSend: () => awaitSendSlot(campaign),
    });
    await asService((tx) => linkCall(tx, { orgId: campaign.orgId, attemptId: a.attemptId, campaignTargetId: a.campaignTargetId, callId: placed.callId }));
    if (placed.dialError) options.log.warn({ campaignId: campaign.id, callId: placed.callId, code: placed.dialError.code }, "campaign dial refused");
  } catch (err) {
    // The attempt stays without a call; a later tick places it under the same key.
    options.log.error({ err, campaignId: campaign.id, attemptId: a.attemptId }, "campaign dial did not complete");
  }
}

/** Wait for the campaign's next send (pace.ts `takeSendSlot`): grants are spaced, and so are the requests the carrier receives. */
async function awaitSendSlot(campaign: CampaignForRun): Promise<void> {
  const dialsPerSecond = campaign.pace.dialsPerSecond * PACE_MARGIN;
  for (;;) {
    const slot = await asService((tx) => takeSendSlot(tx, { orgId: campaign.orgId, campaignId: campaign.id, dialsPerSecond }));
    if (slot.sent) return;
    await sleep(slot.retryInMs);
  }
}

async function linkCall(tx: Tx, { orgId, attemptId, campaignTargetId, callId }: { orgId: string; attemptId: string; campaignTargetId: string; callId: string }): Promise<void> {
  await tx`update public.campaign_attempts set call_id = ${callId}, dialled_at = coalesce(dialled_at, now()) where organization_id = ${orgId} and id = ${attemptId} and call_id is null`;
  await tx`
    update public.campaign_targets set call_ids = array_append(call_ids, ${callId}::uuid), updated_at = now()
    where organization_id = ${orgId} and id = ${campaignTargetId} and not (${callId}::uuid = any (call_ids))`;
}

/**
 * Attempts recorded but never linked to a call (a crash after the commit, a dial that threw):
 * the call made under the key is linked if it exists, else placed now under the same key,
 * provided the target is still not marked do-not-call and inside its window. One orphan per
 * transaction, and each placed one takes a fresh pace slot first: the slot its attempt took
 * before the crash is long past, and dialling on it would add a dial to a second the pace has
 * already filled. Its target is already counted live, so only the rate can refuse it; then the
 * next tick tries again.
 */
async function resumeOrphans(campaign: CampaignForRun, schedule: CampaignSchedule, options: TickOptions): Promise<number> {
  const orphanAfterMs = options.orphanAfterMs ?? ORPHAN_AFTER_MS;
  const { orgId, id: campaignId } = campaign;
  const dials: Promise<void>[] = [];
  for (let i = 0; i < 20 && dials.length < 20; i++) {
    const step = await asService(async (tx): Promise<"none" | "settled" | { retryInMs: number } | GrantedAttempt> => {
      const [r] = await tx<(GrantedAttempt & { timeZone: string; callId: string | null; dnc: boolean | null })[]>`
        select a.id as "attemptId", a.campaign_target_id as "campaignTargetId", t.target_id as "targetId", a.attempt, t.number,
               a.idempotency_key as key, a.created_at as "grantedAt", t.time_zone as "timeZone",
               (select c.id from public.calls c where c.organization_id = a.organization_id and c.idempotency_key = a.idempotency_key) as "callId",
               (select v.dnc from public.voice_targets v where v.organization_id = t.organization_id and v.id = t.target_id) as dnc
        from public.campaign_attempts a
        join public.campaign_targets t on t.id = a.campaign_target_id
        where a.campaign_id = ${campaignId} and a.organization_id = ${orgId} and a.call_id is null and a.outcome is null
          and a.created_at < now() - ${orphanAfterMs} * interval '1 millisecond'
        order by a.created_at
        limit 1
        for update of a skip locked`;
      if (!r) return "none";
      if (r.callId) {
        await linkCall(tx, { orgId, attemptId: r.attemptId, campaignTargetId: r.campaignTargetId, callId: r.callId });
        return "settled";
      }
      const now = new Date();
      if (r.dnc !== false) {
        await tx`update public.campaign_attempts set outcome = 'not_dialled', ended_at = now() where id = ${r.attemptId}`;
        await tx`update public.campaign_targets set state = 'skipped_dnc', next_at = null, updated_at = now() where id = ${r.campaignTargetId}`;
        return "settled";
      }
      if (!isCallable(schedule, r.timeZone, now)) {
        const next = dueAt(campaign, schedule, r.timeZone, now, r.targetId, r.attempt + 1);
        await tx`update public.campaign_attempts set outcome = 'not_dialled', ended_at = now() where id = ${r.attemptId}`;
        await tx`
          update public.campaign_targets set state = ${next ? "retrying" : "skipped_window"}, next_at = ${next}, updated_at = now()
          where id = ${r.campaignTargetId}`;
        return "settled";
      }
      const slot = await takeDialSlot(tx, {
        orgId,
        campaignId,
        pace: { dialsPerSecond: campaign.pace.dialsPerSecond * PACE_MARGIN, maxLive: campaign.pace.maxLive },
        countLive: async () => 0,
      });
      if (!slot.granted) return { retryInMs: slot.reason === "pace" ? slot.retryInMs : 1000 };
      const { timeZone: _zone, callId: _call, dnc: _dnc, ...attempt } = r;
      return { ...attempt, number: await openNumber(tx, orgId, "campaign_targets.number", r.number), grantedAt: slot.at };
    });
    if (step === "none") break;
    if (step === "settled") continue;
    if ("retryInMs" in step) {
      // The next slot is near: wait for it, as the tick's own loop does; else leave it to the next tick.
      if (step.retryInMs > 1000) break;
      await sleep(step.retryInMs);
      continue;
    }
    dials.push(dialAttempt(campaign, step, { ...options, beforeDial: undefined }));
  }
  await Promise.all(dials);
  return dials.length;
}

// ---------------------------------------------------------------------------------------------
// Outcome

const OUTCOME_OF: Record<string, DialOutcome> = { completed: "answered", busy: "busy", no_answer: "no_answer", failed: "failed", canceled: "failed" };

/**
 * A campaign's call reached a final status: record the attempt's outcome and decide the target's
 * next step by the retry policy (retrying at an instant inside its window, or done). Once per
 * attempt: an outcome already recorded is left as it is. Queues the campaign's tick when it runs.
 */
export async function applyCampaignCallOutcome({ orgId, callId }: { orgId: string; callId: string }, { log }: { log: Logger }): Promise<{ outcome: DialOutcome; next: "retrying" | "done" } | null> {
  return asService(async (tx) => {
    const [a] = await tx<{ id: string; attempt: number; outcome: string | null; campaignTargetId: string; campaignId: string; status: string; endedAt: Date | null }[]>`
      select a.id, a.attempt, a.outcome, a.campaign_target_id as "campaignTargetId", a.campaign_id as "campaignId",
             c.status::text as status, c.ended_at as "endedAt"
      from public.calls c
      join public.campaign_attempts a on a.organization_id = c.organization_id and a.idempotency_key = c.idempotency_key
      where c.organization_id = ${orgId} and c.id = ${callId}`;
    if (!a) return null;
    const [t] = await tx<{ state: string; attempts: number; targetId: string; timeZone: string }[]>`
      select state, attempts, target_id as "targetId", time_zone as "timeZone" from public.campaign_targets
      where organization_id = ${orgId} and id = ${a.campaignTargetId} for update`;
    const outcome = OUTCOME_OF[a.status];
    if (!t || a.outcome !== null || !outcome) return null;
    const endedAt = a.endedAt ?? new Date();
    // The backoff counts from now, when the end is known here: the call's end as the carrier
    // reported it has whole seconds (its Timestamp), so counting from it could retry up to a
    // second before the backoff has passed at the carrier (npm run bench:campaign saw 19.4 s of 20).
    const finishedAt = new Date(Math.max(endedAt.getTime(), Date.now()));
    await tx`update public.campaign_attempts set outcome = ${outcome}, ended_at = ${endedAt}, call_id = coalesce(call_id, ${callId}::uuid) where id = ${a.id}`;
    await linkCall(tx, { orgId, attemptId: a.id, campaignTargetId: a.campaignTargetId, callId });
    if (t.state !== "calling" || t.attempts !== a.attempt) return null;
    const campaign = (await campaignForRun(tx, { orgId, id: a.campaignId }))!;
    const schedule = scheduleOf(campaign);
    let at: Date | null = null;
    if (campaign.state === "running" || campaign.state === "paused" || campaign.state === "scheduled") {
      const decision = nextAttempt(campaign.retry, outcome, a.attempt, finishedAt, { schedule, timeZone: t.timeZone });
      if (decision.kind === "retry") at = campaign.spread ? dueAt(campaign, schedule, t.timeZone, decision.at, t.targetId, decision.attempt) : decision.at;
    }
    await tx`
      update public.campaign_targets set state = ${at ? "retrying" : "done"}, next_at = ${at}, last_outcome = ${outcome}, updated_at = now()
      where id = ${a.campaignTargetId}`;
    if (campaign.state === "running") await queueTick(tx, { orgId, campaignId: a.campaignId, inMs: 0 });
    log.info({ campaignId: a.campaignId, callId, outcome, next: at ? "retrying" : "done" }, "campaign call ended");
    return { outcome, next: at ? "retrying" : "done" };
  });
}

/**
 * From the crontab, every minute: a running campaign (or a scheduled one past its start) whose
 * tick was lost (a dropped job) gets one again. The queue's view is read on the owner's
 * connection: the API roles have no grant on graphile-worker's schema.
 */
export async function sweepCampaigns({ log }: { log: Logger }): Promise<{ queued: number }> {
  const live = await asService((tx) => tx<{ orgId: string; id: string }[]>`
    select organization_id as "orgId", id from public.campaigns
    where state = 'running' or (state = 'scheduled' and starts_at <= now())`);
  if (live.length === 0) return { queued: 0 };
  const db = sql();
  const queued = new Set((await db<{ key: string }[]>`
    select key from graphile_worker.jobs where key in ${db(live.map((c) => `campaign_tick:${c.id}`))}`).map((j) => j.key));
  const lost = live.filter((c) => !queued.has(`campaign_tick:${c.id}`));
  if (lost.length === 0) return { queued: 0 };
  await asService(async (tx) => {
    for (const c of lost) await enqueue(tx, "campaign_tick", { orgId: c.orgId, campaignId: c.id }, { jobKey: `campaign_tick:${c.id}` });
  });
  log.warn({ queued: lost.length }, "campaign ticks queued again");
  return { queued: lost.length };
}
