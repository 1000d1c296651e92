import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleStatusCallback } from "@/lib/calls/status";
import { sql } from "@/lib/db/client";
import { numberHash } from "@/lib/pii/numbers";
import { asService, withUser } from "@/lib/db";
import { moveCampaign } from "@/lib/campaigns/campaigns";
import { applyCampaignCallOutcome, PACE_MARGIN, runCampaignTick, sweepCampaigns, type GrantedAttempt } from "@/lib/campaigns/runner";
import type { CarrierSimulator } from "@/scripts/simulator";
import type { Claims } from "@/lib/db/claims";
import { createOrg, member } from "@/tests/support/fixtures";
import { configureSignalWire, startTestCarrier, statusParams } from "@/tests/support/signalwire";
import { draft, freshTag, launch, openSchedule, savedTarget, zoneWhere } from "@/tests/support/campaigns";

/**
 * The campaign runner against real Postgres and the carrier simulator through the real SignalWire
 * SDK (targets `silent`: the carrier accepts the call and sends nothing; final statuses are
 * delivered here as the signed webhook's handler receives them). What a carrier would notice:
 * who was dialled, how often, how far apart.
 */
const log = pino({ level: "silent" });
let sim: CarrierSimulator;
let org: string;
let owner: { userId: string; claims: Claims };
let open: string;
let closed: string;

beforeAll(async () => {
  sim = await startTestCarrier();
  configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
  org = await createOrg("pro");
  await sql()`insert into public.voice_configs (organization_id) values (${org})`;
  owner = await member(org, "owner");
  open = zoneWhere(true);
  closed = zoneWhere(false);
});

afterAll(async () => {
  await sim?.stop();
});

let seq = 0;
/** A number of its own for each target (the simulator's log is per number), answered silently. */
function number(): string {
  seq += 1;
  const to = `+1415555${String(2000 + seq).padStart(4, "0")}`;
  sim.setScenario(to, { kind: "silent" });
  return to;
}
const dialsTo = (to: string) => sim.calls().filter((c) => c.to === to).length;

async function campaignOver(targets: { dnc?: boolean; timeZone?: string; number?: string }[], extra: Record<string, unknown> = {}) {
  const tag = freshTag();
  const ids: string[] = [];
  const numbers: string[] = [];
  for (const t of targets) {
    const to = t.number ?? number();
    numbers.push(to);
    ids.push(await savedTarget(org, owner.userId, { number: to, timeZone: t.timeZone ?? open, tags: [tag], dnc: t.dnc }));
  }
  const campaign = await draft(owner.claims, org, {
    name: `Campaign ${tag}`,
    selection: { tags: [tag] },
    schedule: openSchedule(),
    pace: { dialsPerSecond: 50, maxLive: 50 },
    ...extra,
  });
  const launched = await launch(owner.claims, org, campaign.id);
  return { id: campaign.id, ids, numbers, launched };
}

const targetsOf = (campaignId: string) => sql()<{ targetId: string; state: string; attempts: number; nextAt: Date | null; callIds: string[] }[]>`
  select target_id as "targetId", state, attempts, next_at as "nextAt", call_ids::text[] as "callIds" from public.campaign_targets where campaign_id = ${campaignId} order by name`;

const tick = (campaignId: string, options: Partial<Parameters<typeof runCampaignTick>[1]> = {}) =>
  runCampaignTick({ orgId: org, campaignId }, { log, reenqueue: false, ...options });

/** The carrier reports a final status for the call, through the status webhook's own handler. */
async function carrierSays(callId: string, status: "busy" | "completed" | "no-answer") {
  const [call] = await sql()<{ sid: string }[]>`select provider_call_sid as sid from public.calls where id = ${callId}`;
  await handleStatusCallback(sql(), callId, statusParams(call!.sid, status, 1));
}

describe("launch", () => {
  it("skips do-not-call targets and numbers that do not validate, and dials neither", async () => {
    const bad = "+19999999999"; // E.164 in form, but no such area code
    const { id, numbers, launched } = await campaignOver([{}, { dnc: true }, { number: bad }]);
    expect(launched.targets).toMatchObject({ pending: 1, skipped_dnc: 1, skipped_invalid: 1 });
    const result = await tick(id);
    expect(result.dialled).toHaveLength(1);
    expect(dialsTo(numbers[0]!)).toBe(1);
    expect(dialsTo(numbers[1]!)).toBe(0);
    expect(dialsTo(bad)).toBe(0);
    expect((await targetsOf(id)).map((t) => t.state).sort()).toEqual(["calling", "skipped_dnc", "skipped_invalid"]);
  });
});

describe("campaign_tick", () => {
  it("never dials a target whose clock is outside 8:00–21:00 now; it is due at its next window", async () => {
    const { id, numbers } = await campaignOver([{ timeZone: closed }, { timeZone: closed }]);
    const result = await tick(id);
    expect(result.dialled).toEqual([]);
    expect(numbers.map(dialsTo)).toEqual([0, 0]);
    for (const t of await targetsOf(id)) {
      expect(t.state).toBe("pending");
      expect(t.nextAt!.getTime()).toBeGreaterThan(Date.now());
    }
  });

  it("never dials a target marked do-not-call after launch", async () => {
    const { id, ids, numbers } = await campaignOver([{}]);
    await sql()`update public.voice_targets set dnc = true where id = ${ids[0]!}`;
    expect((await tick(id)).dialled).toEqual([]);
    expect(dialsTo(numbers[0]!)).toBe(0);
    expect((await targetsOf(id))[0]!.state).toBe("skipped_dnc");
  });

  it("two ticks racing dial each target once", async () => {
    const { id, numbers } = await campaignOver(Array.from({ length: 8 }, () => ({})));
    const [a, b] = await Promise.all([tick(id), tick(id)]);
    expect(a.dialled.length + b.dialled.length).toBe(8);
    expect(numbers.map(dialsTo)).toEqual(numbers.map(() => 1));
    const [attempts] = await sql()<{ n: number; keys: number }[]>`
      select count(*)::int as n, count(distinct idempotency_key)::int as keys from public.campaign_attempts where campaign_id = ${id}`;
    expect(attempts).toEqual({ n: 8, keys: 8 });
  });

  it("keeps to the pace: grants at least 1/N s apart, and never more than maxLive in progress", async () => {
    const { id } = await campaignOver(Array.from({ length: 6 }, () => ({})), { pace: { dialsPerSecond: 5, maxLive: 4 } });
    const grants: GrantedAttempt[] = [];
    const result = await tick(id, { budgetMs: 5000, beforeDial: (a) => void grants.push(a) });
    // maxLive 4: the fifth waits for a call to end.
    expect(result.dialled).toHaveLength(4);
    const times = grants.map((g) => g.grantedAt.getTime()).sort((x, y) => x - y);
    const spacing = 1000 / (5 * PACE_MARGIN);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(Math.floor(spacing));
    expect((await targetsOf(id)).filter((t) => t.state === "calling")).toHaveLength(4);
  });

  it("a crash between recording the attempt and dialling: the next tick dials it once, under the attempt's key", async () => {
    const { id, numbers } = await campaignOver([{}]);
    const crashed = await tick(id, { beforeDial: () => { throw new Error("worker killed"); } });
    expect(crashed.dialled).toHaveLength(1);
    expect(dialsTo(numbers[0]!)).toBe(0);
    const resumed = await tick(id, { orphanAfterMs: 0 });
    expect(resumed.resumed).toBe(1);
    await tick(id, { orphanAfterMs: 0 });
    expect(dialsTo(numbers[0]!)).toBe(1);
    const [call] = await sql()<{ key: string; campaignId: string }[]>`
      select idempotency_key as key, campaign_id as "campaignId" from public.calls where organization_id = ${org} and to_number_hash = ${await numberHash(org, numbers[0]!)}`;
    expect(call).toEqual({ key: `campaign:${id}:${(await targetsOf(id))[0]!.targetId}:1`, campaignId: id });
  });

  it("retries a busy target per its policy, then completes the campaign", async () => {
    const { id, numbers } = await campaignOver([{}], { retry: { busy: { maxAttempts: 2, backoffSeconds: 0 } } });
    await tick(id);
    let [t] = await targetsOf(id);
    await carrierSays(t!.callIds[0]!, "busy");
    // The final status queued the outcome job in its own transaction.
    const jobs = await sql()<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where key = ${`campaign_call_ended:${t!.callIds[0]!}`}`;
    expect(jobs[0]!.n).toBe(1);
    expect(await applyCampaignCallOutcome({ orgId: org, callId: t!.callIds[0]! }, { log })).toEqual({ outcome: "busy", next: "retrying" });
    // Applied once: the same job again changes nothing.
    expect(await applyCampaignCallOutcome({ orgId: org, callId: t!.callIds[0]! }, { log })).toBeNull();
    await tick(id);
    [t] = await targetsOf(id);
    expect(t).toMatchObject({ state: "calling", attempts: 2 });
    await carrierSays(t!.callIds[1]!, "busy");
    expect(await applyCampaignCallOutcome({ orgId: org, callId: t!.callIds[1]! }, { log })).toEqual({ outcome: "busy", next: "done" });
    const last = await tick(id);
    expect(last.state).toBe("completed");
    expect(dialsTo(numbers[0]!)).toBe(2);
    const [c] = await sql()<{ state: string; endedAt: Date | null }[]>`select state, ended_at as "endedAt" from public.campaigns where id = ${id}`;
    expect(c!.state).toBe("completed");
    expect(c!.endedAt).not.toBeNull();
  });

  it("a paused campaign dials nobody and queues no tick; resume queues one", async () => {
    const { id: second, numbers: others } = await campaignOver([{}, {}]);
    await asService((tx) => moveCampaign(tx, { orgId: org, id: second, act: "start" }));
    await withUser(owner.claims, (tx) => moveCampaign(tx, { orgId: org, id: second, act: "pause" }));
    await sql()`select graphile_worker.remove_job(${`campaign_tick:${second}`})`;
    const paused = await runCampaignTick({ orgId: org, campaignId: second }, { log });
    expect(paused).toMatchObject({ state: "paused", dialled: [] });
    expect(others.map(dialsTo)).toEqual([0, 0]);
    const none = await sql()<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where key = ${`campaign_tick:${second}`}`;
    expect(none[0]!.n).toBe(0);
    await withUser(owner.claims, (tx) => moveCampaign(tx, { orgId: org, id: second, act: "resume" }));
    const queued = await sql()<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where key = ${`campaign_tick:${second}`}`;
    expect(queued[0]!.n).toBe(1);
  });

  it("the minute's sweep queues a tick for a running campaign that lost its own", async () => {
    const { id } = await campaignOver([{}]);
    await asService((tx) => moveCampaign(tx, { orgId: org, id, act: "start" }));
    await sql()`select graphile_worker.remove_job(${`campaign_tick:${id}`})`;
    const jobs = () => sql()<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where key = ${`campaign_tick:${id}`}`.then((r) => r[0]!.n);
    expect(await jobs()).toBe(0);
    expect((await sweepCampaigns({ log })).queued).toBeGreaterThanOrEqual(1);
    expect(await jobs()).toBe(1);
    // Already queued: the next sweep leaves it.
    await sweepCampaigns({ log });
    expect(await jobs()).toBe(1);
  });
});

it("the call list's campaign filter is an equality Postgres may push below RLS (uuid = is leakproof)", async () => {
  const [row] = await sql()<{ leakproof: boolean }[]>`select proleakproof as leakproof from pg_proc where proname = 'uuid_eq'`;
  expect(row!.leakproof).toBe(true);
});
