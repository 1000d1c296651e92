import { beforeAll, describe, expect, it } from "vitest";
import type { Claims } from "@/lib/db/claims";
import { sql } from "@/lib/db/client";
import { asService, withUser, type Tx } from "@/lib/db";
import { ROLES, allows, type Role } from "@/lib/rbac/policy";
import { createOrg, member, setPlan } from "@/tests/support/fixtures";
import { configureSignalWire } from "@/tests/support/signalwire";
import { draft, freshTag, launch, openSchedule, savedTarget, zoneWhere } from "@/tests/support/campaigns";

/**
 * RLS on public.campaigns, public.campaign_targets and public.campaign_attempts as the roles
 * themselves (`authenticated` with real claims), every role × operation against the policy
 * table's cells: members of a pro organization read its campaigns and no other's; owners and
 * admins write drafts; operators may only pause and resume; nobody but the runner (service
 * path) changes targets or records attempts; a launched campaign's definition never changes.
 * Each attempt is rolled back, so every attempt sees the same rows.
 */
class Rollback extends Error {
  constructor(readonly count: number) {
    super("rollback");
  }
}

async function attempt(claims: Claims, fn: (tx: Tx) => Promise<number>): Promise<{ ok: boolean; count: number; error?: string }> {
  try {
    await withUser(claims, async (tx) => {
      throw new Rollback(await fn(tx));
    });
    throw new Error("unreachable");
  } catch (err) {
    if (err instanceof Rollback) return { ok: true, count: err.count };
    return { ok: false, count: 0, error: (err as Error).message };
  }
}
const succeeded = (a: { ok: boolean; count: number }) => a.ok && a.count > 0;

let orgId: string;
let otherOrg: string;
const people = {} as Record<Role, { userId: string; claims: Claims }>;
let outsider: { userId: string; claims: Claims };
let draftId: string;
let runningId: string;

beforeAll(async () => {
  configureSignalWire();
  orgId = await createOrg("pro");
  otherOrg = await createOrg("pro");
  for (const org of [orgId, otherOrg]) await sql()`insert into public.voice_configs (organization_id) values (${org})`;
  for (const role of ROLES) people[role] = await member(orgId, role);
  outsider = await member(otherOrg, "owner");
  const tag = freshTag();
  await savedTarget(orgId, people.owner.userId, { number: "+14155554001", timeZone: zoneWhere(true), tags: [tag] });
  const input = { name: "RLS", selection: { tags: [tag] }, schedule: openSchedule(), pace: { dialsPerSecond: 1, maxLive: 1 } };
  draftId = (await draft(people.owner.claims, orgId, input)).id;
  runningId = (await draft(people.owner.claims, orgId, input)).id;
  await launch(people.owner.claims, orgId, runningId);
  // The runner's start, on the service path.
  await asService((tx) => tx`update public.campaigns set state = 'running' where id = ${runningId}`);
  const [target] = await sql()<{ id: string }[]>`select id from public.campaign_targets where campaign_id = ${runningId}`;
  await sql()`insert into public.campaign_attempts (organization_id, campaign_id, campaign_target_id, attempt, idempotency_key)
              values (${orgId}, ${runningId}, ${target!.id}, 1, ${`campaign:${runningId}:x:1`})`;
});

const count = (tx: Tx, table: string, org: string) => tx.unsafe<{ n: number }[]>(`select count(*)::int as n from public.${table} where organization_id = $1`, [org]).then((r) => r[0]!.n);

describe("reading", () => {
  it("members of a pro organization read its campaigns, targets and attempts; nobody reads another's", async () => {
    for (const role of ROLES) {
      for (const table of ["campaigns", "campaign_targets", "campaign_attempts"]) {
        const mine = await attempt(people[role].claims, (tx) => count(tx, table, orgId));
        expect(mine.count > 0, `${role} ${table}`).toBe(allows(role, "pro", "campaign.read"));
        const other = await attempt(outsider.claims, (tx) => count(tx, table, orgId));
        expect(other.count, `outsider ${table}`).toBe(0);
      }
    }
  });

  it("on a base plan nobody reads them (plan gating in SQL too)", async () => {
    await setPlan(orgId, "base");
    try {
      const a = await attempt(people.owner.claims, (tx) => count(tx, "campaigns", orgId));
      expect(a.count).toBe(0);
    } finally {
      await setPlan(orgId, "pro");
    }
  });
});

describe("writing", () => {
  it("only owners and admins insert drafts, as themselves", async () => {
    for (const role of ROLES) {
      const a = await attempt(people[role].claims, (tx) => tx`
        insert into public.campaigns (organization_id, name, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by)
        select organization_id, 'copy', modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, ${people[role].userId}
        from public.campaigns where id = ${draftId} returning id`.then((r) => r.length));
      expect(succeeded(a), role).toBe(allows(role, "pro", "campaign.manage"));
    }
    const launched = await attempt(people.owner.claims, (tx) => tx`
      insert into public.campaigns (organization_id, name, state, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by, launched_at)
      select organization_id, 'copy', 'running', modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, ${people.owner.userId}, now()
      from public.campaigns where id = ${draftId} returning id`.then((r) => r.length));
    expect(succeeded(launched)).toBe(false);
  });

  it("operators may pause a running campaign and change nothing else; analysts and viewers nothing", async () => {
    for (const role of ROLES) {
      const pause = await attempt(people[role].claims, (tx) => tx`update public.campaigns set state = 'paused' where id = ${runningId} returning id`.then((r) => r.length));
      expect(succeeded(pause), role).toBe(allows(role, "pro", "campaign.pause"));
      const rename = await attempt(people[role].claims, (tx) => tx`update public.campaigns set name = 'x' where id = ${draftId} returning id`.then((r) => r.length));
      expect(succeeded(rename), role).toBe(allows(role, "pro", "campaign.manage"));
    }
  });

  it("a launched campaign's definition does not change, even for an owner", async () => {
    const a = await attempt(people.owner.claims, (tx) => tx`update public.campaigns set pace = '{"dialsPerSecond": 100, "maxLive": 1000}' where id = ${runningId} returning id`.then((r) => r.length));
    expect(a.ok).toBe(false);
    expect(a.error).toContain("definition does not change");
  });

  it("only drafts are deleted, by owners and admins", async () => {
    for (const role of ROLES) {
      const a = await attempt(people[role].claims, (tx) => tx`delete from public.campaigns where id = ${draftId} returning id`.then((r) => r.length));
      expect(succeeded(a), role).toBe(allows(role, "pro", "campaign.manage"));
    }
    const launched = await attempt(people.owner.claims, (tx) => tx`delete from public.campaigns where id = ${runningId} returning id`.then((r) => r.length));
    expect(succeeded(launched)).toBe(false);
  });

  it("no member changes a campaign's targets or records an attempt: the runner's alone", async () => {
    for (const role of ROLES) {
      const update = await attempt(people[role].claims, (tx) => tx`update public.campaign_targets set state = 'done', next_at = null where campaign_id = ${runningId} returning id`.then((r) => r.length));
      expect(succeeded(update), role).toBe(false);
      const record = await attempt(people[role].claims, (tx) => tx`
        insert into public.campaign_attempts (organization_id, campaign_id, campaign_target_id, attempt, idempotency_key)
        select organization_id, campaign_id, id, 2, 'k' from public.campaign_targets where campaign_id = ${runningId} returning id`.then((r) => r.length));
      expect(succeeded(record), role).toBe(false);
    }
  });

  it("no member places a call in a campaign's name", async () => {
    const a = await attempt(people.operator.claims, (tx) => tx`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, campaign_id)
      values (${orgId}, ${people.operator.userId}, 'direct', '+14155550100', '+14155554001', 'by-hand-1', ${tx.json({ record: false })}, 'pro', ${runningId})
      returning id`.then((r) => r.length));
    expect(succeeded(a)).toBe(false);
  });
});
