import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import type { CarrierView } from "@/lib/telephony/carrier-view";
import { reconcileCalls } from "@/lib/calls/reconcile";
import { asService } from "@/lib/db";
import { recordingsNeverTranscribed } from "@/lib/intelligence/transcriptions";
import { createOrg, createUser } from "@/tests/support/fixtures";

/**
 * The reconciler runs every minute across every organization, so its selections must read what
 * is open or pending, not the whole history. Captures the exact SQL the reconciler sends (via
 * the driver's debug hook, so a rewrite of the query text is what gets planned), then plans it
 * with EXPLAIN (GENERIC_PLAN) on a table of a few thousand calls, mostly final, after ANALYZE.
 */

interface Sent {
  query: string;
}

type PlanNode = { "Node Type": string; "Index Name"?: string; "Index Cond"?: string; "Relation Name"?: string; Plans?: PlanNode[] };

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const sent: Sent[] = [];
const capturing = postgres(process.env.DATABASE_URL!, {
  max: 1,
  onnotice: () => {},
  types: {},
  debug: (_connection, query) => sent.push({ query }),
});

/** Nothing should ever reach the carrier in this test: nothing is old enough to qualify. */
const carrier: CarrierView = {
  fetchCall: () => Promise.reject(new Error("unexpected carrier call")),
  findCalls: () => Promise.reject(new Error("unexpected carrier call")),
  listRecordings: () => Promise.reject(new Error("unexpected carrier call")),
  fetchRecording: () => Promise.reject(new Error("unexpected carrier call")),
  mediaOrigin: "http://carrier.invalid",
};

async function planOf(match: (q: string) => boolean): Promise<PlanNode[]> {
  const found = sent.find((s) => match(s.query));
  expect(found, "the reconciler sent this query").toBeDefined();
  // The generic plan: the one a prepared statement settles on, planned from the query text
  // alone with every bind parameter unknown. A partial index is usable here only when the
  // query text itself implies its predicate (the driver prepares every statement by name).
  const [row] = await sql().unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (generic_plan, format json) ${found!.query}`);
  return nodes(row!["QUERY PLAN"][0].Plan);
}

const usesIndex = (plan: PlanNode[], index: string) =>
  plan.some((n) => (n["Node Type"] === "Index Scan" || n["Node Type"] === "Index Only Scan" || n["Node Type"] === "Bitmap Index Scan") && n["Index Name"] === index);
const seqScans = (plan: PlanNode[], table: string) => plan.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === table);

beforeAll(async () => {
  const orgId = await createOrg("pro");
  const userId = await createUser();
  // 4,000 calls: 3,800 final (a tenth of them recorded, each with its stored recording row),
  // 200 open, 20 of them lost dials; a handful of recordings still pending.
  await sql()`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier,
                              status, provider_call_sid, dial_error, created_at, updated_at, ended_at)
    select ${orgId}, ${userId}, 'direct', '+15550100000', '+15550100001', 'plan-test-' || g,
           jsonb_build_object('record', g % 10 = 0), 'pro',
           (case when g <= 3800 then (array['completed', 'failed', 'busy', 'no_answer'])[1 + g % 4]
                 when g <= 3980 then (array['initiated', 'ringing', 'in_progress'])[1 + g % 3]
                 else 'queued' end)::public.call_status,
           case when g <= 3980 then 'CA' || g end,
           case when g > 3980 then '{"code":"dial_outcome_unknown"}'::jsonb end,
           now() - make_interval(mins => 4000 - g), now() - make_interval(mins => 4000 - g),
           case when g <= 3800 then now() - make_interval(mins => 4000 - g) end
    from generate_series(1, 4000) g`;
  await sql()`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, created_at)
    select c.organization_id, c.id, 'RE' || c.provider_call_sid, 'stored', 'x/' || c.id, repeat('0', 64), 1, c.ended_at
    from public.calls c where c.status = 'completed' and (c.modulations->>'record')::boolean`;
  await sql()`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status)
    select c.organization_id, c.id, 'REP' || c.provider_call_sid, 'pending'
    from public.calls c where c.status = 'in_progress' limit 5`;
  await sql()`analyze public.calls`;
  await sql()`analyze public.recordings`;

  const report = await reconcileCalls({ db: capturing, carrier, thresholdSeconds: 10 * 365 * 86400 });
  expect(report.errors).toBe(0);
});

afterAll(async () => {
  await capturing.end();
});

describe("the reconciler's selections", () => {
  it("reads stale open calls through the index over calls that are not final", async () => {
    const plan = await planOf((q) => q.includes("provider_call_sid is not null") && q.includes("from public.calls"));
    expect(usesIndex(plan, "calls_open_idx"), JSON.stringify(plan)).toBe(true);
    expect(seqScans(plan, "calls")).toEqual([]);
  });

  it("reads lost dials through the index over queued calls without a sid, not every open call", async () => {
    const plan = await planOf((q) => q.includes("dial_outcome_unknown"));
    expect(usesIndex(plan, "calls_lost_dial_idx"), JSON.stringify(plan)).toBe(true);
    expect(seqScans(plan, "calls")).toEqual([]);
  });

  // Proving "no recording row" needs each call looked at, so the check reads a range of the
  // index over recorded, completed calls: those that ended within the look-back, not the history.
  it("reads only recorded, completed calls that ended within the look-back", async () => {
    const plan = await planOf((q) => q.includes("not exists (select 1 from public.recordings"));
    const scan = plan.find((n) => n["Index Name"] === "calls_recorded_completed_idx");
    expect(scan, JSON.stringify(plan)).toBeDefined();
    expect(scan!["Index Cond"]).toMatch(/>=/);
    expect(scan!["Index Cond"]).toMatch(/</);
    expect(seqScans(plan, "calls")).toEqual([]);
  });

  it("reads pending recordings through the index over pending rows", async () => {
    const plan = await planOf((q) => q.includes("from public.recordings") && q.includes("status = 'pending'"));
    expect(usesIndex(plan, "recordings_pending_idx"), JSON.stringify(plan)).toBe(true);
    expect(seqScans(plan, "recordings")).toEqual([]);
  });
});

describe("the look-back (RECONCILE_LOOKBACK_DAYS)", () => {
  const DAY = 86_400;
  let orgId: string;
  const ids: Record<"twoDays" | "fourDays", string> = { twoDays: "", fourDays: "" };

  beforeAll(async () => {
    orgId = await createOrg("pro");
    const userId = await createUser();
    // Two recorded, completed calls with no recording row: one ended two days ago, one four.
    for (const [name, days] of [["twoDays", 2], ["fourDays", 4]] as const) {
      const [row] = await sql()<{ id: string }[]>`
        insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier,
                                  status, provider_call_sid, created_at, updated_at, ended_at)
        values (${orgId}, ${userId}, 'direct', '+15550100000', '+15550100001', ${`lookback-${name}-${orgId}`},
                '{"record": true, "transcribe": true}'::jsonb, 'pro', 'completed', ${`CA-lookback-${name}-${orgId}`},
                now() - make_interval(days => ${days}), now() - make_interval(days => ${days}), now() - make_interval(days => ${days}))
        returning id`;
      ids[name] = row!.id;
    }
  });

  it("asks the carrier about a recording that never came only for calls that ended within it", async () => {
    const asked: string[] = [];
    const mine = new Set([`CA-lookback-twoDays-${orgId}`, `CA-lookback-fourDays-${orgId}`]);
    const listing: CarrierView = {
      ...carrier,
      // Other suites' calls are not this test's business: refuse them (an error, no write).
      listRecordings: (sid) => (mine.has(sid) ? (asked.push(sid), Promise.resolve([])) : Promise.reject(new Error("not this test's call"))),
    };
    // Ended at least a day and a half ago, within three days: the two-day call only.
    await reconcileCalls({ carrier: listing, thresholdSeconds: 1.5 * DAY, lookbackSeconds: 3 * DAY });
    expect(asked).toEqual([`CA-lookback-twoDays-${orgId}`]);
    // And with a look-back of five days, the four-day call too.
    asked.length = 0;
    // (The two-day call now has its `missing` row, so it no longer qualifies.)
    await reconcileCalls({ carrier: listing, thresholdSeconds: 1.5 * DAY, lookbackSeconds: 5 * DAY });
    expect(asked).toEqual([`CA-lookback-fourDays-${orgId}`]);
  });

  it("finds stored recordings never transcribed only within it", async () => {
    // A stored recording on each call, stored when the call ended.
    for (const name of ["twoDays", "fourDays"] as const) {
      await sql()`
        insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, created_at, stored_at)
        select organization_id, id, ${`RE-lookback-${name}-${orgId}`}, 'stored', 'x/' || id, repeat('0', 64), 1, ended_at, ended_at
        from public.calls where organization_id = ${orgId} and id = ${ids[name]}`;
    }
    const found = async (lookbackDays: number) =>
      (await asService((tx) => recordingsNeverTranscribed(tx, { thresholdSeconds: 1.5 * DAY, lookbackSeconds: lookbackDays * DAY, limit: 1000 })))
        .filter((r) => r.orgId === orgId)
        .map((r) => r.callId)
        .sort();
    expect(await found(3)).toEqual([ids.twoDays]);
    expect(await found(5)).toEqual([ids.twoDays, ids.fourDays].sort());
  });
});
