import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDatabaseUrl } from "@/lib/config";
import { asService, withUser } from "@/lib/db";
import { connect, sql, type Sql, type Tx } from "@/lib/db/client";
import { ConflictError } from "@/lib/errors";
import { dialSpacingMicroseconds, takeDialSlot, takeSendSlot, type DialSlot, type Pace } from "@/lib/campaigns/pace";
import { createOrg, member } from "@/tests/support/fixtures";

/**
 * The campaign pace held in Postgres, raced by many acquirers on two separate connection pools
 * (what two worker processes are to the database): no 1-second window of granted dials, taken
 * anywhere on the time line, holds more than N, and never more than M dials are live at once.
 * A dial is "live" from its grant to the statement that ends it, a row of a stand-in for the
 * campaign's calls that the acquirer records in the transaction that was granted the slot.
 */

let orgId: string;
let poolA: Sql;
let poolB: Sql;

/** A campaign row for the pace to belong to (private.campaign_pace cascades from public.campaigns). */
async function pacedCampaign(): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.campaigns (organization_id, name, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by)
    values (${orgId}, 'Paced', '{}', '{"tags": ["paced"]}', '{}', now(), now() + interval '1 day', '{}', '{}', ${randomUUID()})
    returning id`);
  return row!.id;
}

beforeAll(async () => {
  orgId = await createOrg("global");
  await sql().unsafe(`
    create table private.test_live_dials (id uuid primary key, campaign_id uuid not null);
    grant select, insert, delete on private.test_live_dials to service_role`);
  poolA = connect(requireDatabaseUrl(), 8, "pace-worker-a");
  poolB = connect(requireDatabaseUrl(), 8, "pace-worker-b");
});

afterAll(async () => {
  await Promise.all([poolA?.end({ timeout: 5 }), poolB?.end({ timeout: 5 })]);
});

/**
 * The campaign's live dials, counted the way the runner will count its calls. `slowMs` makes the
 * count take a while, as a count over a big campaign's calls on a busy database does: a racer
 * that counted before another's dial was recorded must not be granted on that count.
 */
const countLive =
  (campaignId: string, slowMs?: () => number) =>
  async (tx: Tx): Promise<number> => {
    const [row] = await tx<{ n: number }[]>`select count(*)::int as n from private.test_live_dials where campaign_id = ${campaignId}`;
    if (slowMs) await sleep(slowMs());
    return row!.n;
  };

interface Race {
  grants: { us: number; pool: "a" | "b" }[];
  /** Each dial's [grant, end] on the database's clock, in µs. */
  lives: [number, number][];
  refused: { pace: number; live: number };
  takeMs: number[];
  seconds: number;
}

/**
 * `perPool` acquirers on each pool, each looping for `seconds`: ask for a slot; granted, record
 * the dial, keep it live for `holdMs()`, then end it; refused, wait as told.
 */
async function race(
  campaignId: string,
  pace: Pace,
  { perPool, seconds, holdMs, countMs }: { perPool: number; seconds: number; holdMs: () => number; countMs?: () => number },
): Promise<Race> {
  const result: Race = { grants: [], lives: [], refused: { pace: 0, live: 0 }, takeMs: [], seconds };
  const deadline = Date.now() + seconds * 1000;
  const acquirer = async (pool: Sql, name: "a" | "b") => {
    while (Date.now() < deadline) {
      const dial = randomUUID();
      const started = performance.now();
      const slot: DialSlot = await asService(async (tx) => {
        const s = await takeDialSlot(tx, { orgId, campaignId, pace, countLive: countLive(campaignId, countMs) });
        if (s.granted) await tx`insert into private.test_live_dials (id, campaign_id) values (${dial}, ${campaignId})`;
        return s;
      }, pool);
      result.takeMs.push(performance.now() - started);
      if (slot.granted) {
        result.grants.push({ us: slot.atMicroseconds, pool: name });
        await sleep(holdMs());
        const [ended] = await pool<{ us: number }[]>`
          delete from private.test_live_dials where id = ${dial} returning (extract(epoch from clock_timestamp()) * 1000000)::float8 as us`;
        result.lives.push([slot.atMicroseconds, ended!.us]);
      } else if (slot.reason === "pace") {
        result.refused.pace += 1;
        await sleep(slot.retryInMs);
      } else {
        result.refused.live += 1;
        await sleep(5);
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: perPool }, () => acquirer(poolA, "a")),
    ...Array.from({ length: perPool }, () => acquirer(poolB, "b")),
  ]);
  return result;
}

/**
 * The fewest microseconds any N + 1 grants in a row span. Over a second means every window of
 * one second, wherever it starts, holds at most N: a window holding N + 1 would contain N + 1
 * consecutive grants spanning at most a second.
 */
function narrowestSpan(grantsUs: number[], n: number): number {
  const sorted = [...grantsUs].sort((a, b) => a - b);
  let narrowest = Infinity;
  for (let i = 0; i + n < sorted.length; i++) narrowest = Math.min(narrowest, sorted[i + n]! - sorted[i]!);
  return narrowest;
}

/** The most dials live at one instant, sweeping grants (+1) and ends (−1) in time order. */
function mostLive(lives: [number, number][]): number {
  const events = lives.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let live = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (live += delta));
  return most;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

function figures(name: string, pace: Pace, r: Race): string {
  const span = narrowestSpan(r.grants.map((g) => g.us), pace.dialsPerSecond);
  const byPool = { a: r.grants.filter((g) => g.pool === "a").length, b: r.grants.filter((g) => g.pool === "b").length };
  return (
    `campaign pace (${name}): ${pace.dialsPerSecond}/s, ${pace.maxLive} live: ${r.grants.length} grants in ${r.seconds} s ` +
    `(${(r.grants.length / r.seconds).toFixed(2)}/s; pool a ${byPool.a}, b ${byPool.b}), narrowest ${pace.dialsPerSecond + 1} grants ${(span / 1000).toFixed(3)} ms, ` +
    `most live ${mostLive(r.lives)}, refused pace ${r.refused.pace} live ${r.refused.live}, take p50 ${percentile(r.takeMs, 50).toFixed(1)} ms p99 ${percentile(r.takeMs, 99).toFixed(1)} ms`
  );
}

describe("the campaign pace, raced by two processes", () => {
  it("never grants more than N dials in any 1-second window", async () => {
    const pace = { dialsPerSecond: 20, maxLive: 1000 };
    const r = await race(await pacedCampaign(), pace, { perPool: 8, seconds: 3, holdMs: () => 0 });
    console.info(figures("rate", pace, r));
    expect(narrowestSpan(r.grants.map((g) => g.us), pace.dialsPerSecond)).toBeGreaterThan(1_000_000);
    // Both processes were granted dials, and the pace was the limit: close to N a second.
    expect(r.grants.some((g) => g.pool === "a") && r.grants.some((g) => g.pool === "b")).toBe(true);
    // (Measured about 80% of N here: each refused acquirer sleeps until the next slot and all
    // sixteen queue for it; the grant comes a little late and the next slot counts from it.)
    expect(r.grants.length).toBeGreaterThanOrEqual(pace.dialsPerSecond * r.seconds * 0.5);
    expect(r.grants.length).toBeLessThanOrEqual(pace.dialsPerSecond * r.seconds + 1);
  });

  it("never has more than M dials live at once, counting what the other process just recorded", async () => {
    // A pace fast enough (10 ms apart) that the live count is what holds the acquirers back.
    const pace = { dialsPerSecond: 100, maxLive: 4 };
    let seed = 11;
    const random = () => (seed = (seed * 48271) % 2147483647);
    const r = await race(await pacedCampaign(), pace, { perPool: 6, seconds: 3, holdMs: () => 100 + (random() % 200), countMs: () => random() % 30 });
    console.info(figures("live", pace, r));
    expect(mostLive(r.lives)).toBeLessThanOrEqual(pace.maxLive);
    // Not by luck: the acquirers wanted more than M at once and were held to it.
    expect(mostLive(r.lives)).toBe(pace.maxLive);
    expect(r.refused.live).toBeGreaterThan(0);
    expect(r.grants.some((g) => g.pool === "a") && r.grants.some((g) => g.pool === "b")).toBe(true);
  });
});

describe("the campaign pace", () => {
  it("spaces grants 1/N s apart and says how long to wait", async () => {
    const campaignId = await pacedCampaign();
    const pace = { dialsPerSecond: 0.5, maxLive: 10 };
    const take = () => asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace, countLive: async () => 0 }));
    const first = await take();
    expect(first.granted).toBe(true);
    const second = await take();
    expect(second).toMatchObject({ granted: false, reason: "pace" });
    expect((second as { retryInMs: number }).retryInMs).toBeGreaterThan(1500);
    expect((second as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(2001);
    expect(dialSpacingMicroseconds(0.5)).toBe(2_000_001);
    const [row] = await sql()<{ spacing: number }[]>`
      select (extract(epoch from next_at - last_granted_at) * 1000000)::float8 as spacing from private.campaign_pace where campaign_id = ${campaignId}`;
    expect(row!.spacing).toBe(2_000_001);
  });

  it("refuses once the caller counts M live, and grants below it", async () => {
    const campaignId = await pacedCampaign();
    const pace = { dialsPerSecond: 100, maxLive: 3 };
    const full = await asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace, countLive: async () => 3 }));
    expect(full).toEqual({ granted: false, reason: "live", live: 3 });
    const room = await asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace, countLive: async () => 2 }));
    expect(room.granted).toBe(true);
  });

  it("leaves no trace of a slot whose transaction rolled back (a worker that died before recording its dial)", async () => {
    const campaignId = await pacedCampaign();
    const pace = { dialsPerSecond: 0.2, maxLive: 1 };
    const crash = new Error("the worker died");
    await expect(
      asService(async (tx) => {
        const slot = await takeDialSlot(tx, { orgId, campaignId, pace, countLive: countLive(campaignId) });
        expect(slot.granted).toBe(true);
        await tx`insert into private.test_live_dials (id, campaign_id) values (${randomUUID()}, ${campaignId})`;
        throw crash;
      }),
    ).rejects.toBe(crash);
    // Neither the 5-second spacing nor the one live slot was used.
    const again = await asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace, countLive: countLive(campaignId) }));
    expect(again.granted).toBe(true);
  });

  it("spaces the sends to the carrier too, across two processes, and says how long to wait", async () => {
    const campaignId = await pacedCampaign();
    const N = 10;
    await asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace: { dialsPerSecond: N, maxLive: 10 }, countLive: async () => 0 }));
    const sends: number[] = [];
    const send = async (pool: Sql) => {
      for (;;) {
        const slot = await asService((tx) => takeSendSlot(tx, { orgId, campaignId, dialsPerSecond: N }), pool);
        if (slot.sent) return sends.push(performance.now());
        expect(slot.retryInMs).toBeGreaterThan(0);
        expect(slot.retryInMs).toBeLessThanOrEqual(1000 / N + 1);
        await sleep(slot.retryInMs);
      }
    };
    // Six senders on each pool, all at once: the sends go one by one, 1/N s apart on the database's clock.
    await Promise.all(Array.from({ length: 12 }, (_, i) => send(i % 2 ? poolA : poolB)));
    // Seen from here, after each commit's round trip: 11 gaps of 100 ms, less that trip's jitter.
    sends.sort((a, b) => a - b);
    expect(sends.at(-1)! - sends[0]!).toBeGreaterThanOrEqual((sends.length - 1) * (1000 / N) - 100);
  });

  it("refuses a campaign id already paced for another organization", async () => {
    const campaignId = await pacedCampaign();
    const pace = { dialsPerSecond: 5, maxLive: 5 };
    await asService((tx) => takeDialSlot(tx, { orgId, campaignId, pace, countLive: async () => 0 }));
    const otherOrg = await createOrg("global");
    await expect(asService((tx) => takeDialSlot(tx, { orgId: otherOrg, campaignId, pace, countLive: async () => 0 }))).rejects.toBeInstanceOf(ConflictError);
  });

  it("is out of reach of signed-in members", async () => {
    const { claims } = await member(orgId, "owner");
    await expect(withUser(claims, (tx) => tx`select * from private.campaign_pace`)).rejects.toThrow(/permission denied/);
  });
});
