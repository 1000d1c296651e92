import { beforeAll, describe, expect, it } from "vitest";
import type { Claims } from "@/lib/db/claims";
import { sql } from "@/lib/db/client";
import { withUser, type Tx } from "@/lib/db";
import { numberHash } from "@/lib/pii/numbers";
import { ROLES, allows, type Role } from "@/lib/rbac/policy";
import { createOrg, member } from "@/tests/support/fixtures";

/**
 * RLS on public.voice_targets as the roles themselves (`authenticated` with real claims), every
 * role × operation, against the policy table's cells: members read their organization's targets
 * and no other's; owners and admins write; operators may only mark a target do-not-call; a
 * marked target cannot be deleted; who set or cleared a mark is the database's to record. Each
 * attempt runs in a transaction that is rolled back, so every attempt sees the same rows.
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
let otherOrgId: string;
const people = {} as Record<Role, { userId: string; claims: Claims }>;
let outsider: { userId: string; claims: Claims };
let target: string;
let marked: string;
let otherTarget: string;

beforeAll(async () => {
  orgId = await createOrg("base");
  otherOrgId = await createOrg("global");
  for (const role of ROLES) people[role] = await member(orgId, role);
  outsider = await member(otherOrgId, "owner");
  const rows = await sql()<{ id: string }[]>`
    insert into public.voice_targets (organization_id, name, number, number_hash, time_zone, created_by, dnc)
    values (${orgId}, 'Riverside', '+12125550101', ${await numberHash(orgId, "+12125550101")}, 'America/New_York', ${people.owner.userId}, false),
           (${orgId}, 'Hillside', '+12125550102', ${await numberHash(orgId, "+12125550102")}, 'America/New_York', ${people.owner.userId}, true),
           (${otherOrgId}, 'Elsewhere', '+12125550101', ${await numberHash(otherOrgId, "+12125550101")}, 'America/New_York', ${outsider.userId}, false)
    returning id`;
  [target, marked, otherTarget] = rows.map((r) => r.id) as [string, string, string];
});

describe("voice_targets under RLS, role by role", () => {
  for (const role of ROLES) {
    it(`${role}: reads the organization's targets and no other's`, async () => {
      const seen = await attempt(people[role].claims, async (tx) => (await tx`select id from public.voice_targets`).length);
      expect(seen).toEqual({ ok: true, count: 2 });
      const other = await attempt(people[role].claims, async (tx) => (await tx`select id from public.voice_targets where id = ${otherTarget}`).length);
      expect(other.count).toBe(0);
    });

    it(`${role}: saves a target exactly when the policy says target.write (${allows(role, "base", "target.write")})`, async () => {
      const insert = await attempt(people[role].claims, async (tx) => (await tx`
        insert into public.voice_targets (organization_id, name, number, time_zone, created_by)
        values (${orgId}, 'New', '+12125550199', 'America/New_York', ${people[role].userId}) returning id`).length);
      expect(succeeded(insert)).toBe(allows(role, "base", "target.write"));
    });

    it(`${role}: edits a target exactly with target.write, marks one do-not-call with target.dnc (${allows(role, "base", "target.dnc")})`, async () => {
      const rename = await attempt(people[role].claims, async (tx) => (await tx`update public.voice_targets set name = 'Renamed' where id = ${target}`).count);
      expect(succeeded(rename)).toBe(allows(role, "base", "target.write"));
      const mark = await attempt(people[role].claims, async (tx) => (await tx`update public.voice_targets set dnc = true where id = ${target}`).count);
      expect(succeeded(mark)).toBe(allows(role, "base", "target.dnc"));
      const clear = await attempt(people[role].claims, async (tx) => (await tx`update public.voice_targets set dnc = false where id = ${marked}`).count);
      expect(succeeded(clear)).toBe(allows(role, "base", "target.write"));
    });

    it(`${role}: deletes an unmarked target exactly with target.write, a marked one never`, async () => {
      const del = await attempt(people[role].claims, async (tx) => (await tx`delete from public.voice_targets where id = ${target}`).count);
      expect(succeeded(del)).toBe(allows(role, "base", "target.write"));
      const delMarked = await attempt(people[role].claims, async (tx) => (await tx`delete from public.voice_targets where id = ${marked}`).count);
      expect(succeeded(delMarked)).toBe(false);
    });
  }

  it("nobody writes into another organization: an owner elsewhere inserts, edits and deletes nothing here", async () => {
    const insert = await attempt(outsider.claims, async (tx) => (await tx`
      insert into public.voice_targets (organization_id, name, number, time_zone, created_by)
      values (${orgId}, 'Forged', '+12125550188', 'America/New_York', ${outsider.userId}) returning id`).length);
    expect(succeeded(insert)).toBe(false);
    expect(succeeded(await attempt(outsider.claims, async (tx) => (await tx`update public.voice_targets set name = 'x' where id = ${target}`).count))).toBe(false);
    expect(succeeded(await attempt(outsider.claims, async (tx) => (await tx`delete from public.voice_targets where id = ${target}`).count))).toBe(false);
  });

  it("a target is saved as its creator: created_by cannot name someone else", async () => {
    const forged = await attempt(people.admin.claims, async (tx) => (await tx`
      insert into public.voice_targets (organization_id, name, number, time_zone, created_by)
      values (${orgId}, 'New', '+12125550177', 'America/New_York', ${people.owner.userId}) returning id`).length);
    expect(succeeded(forged)).toBe(false);
  });

  it("an operator marking a target may change nothing else with it", async () => {
    const sneaky = await attempt(people.operator.claims, async (tx) => (await tx`update public.voice_targets set dnc = true, notes = 'x' where id = ${target}`).count);
    expect(succeeded(sneaky)).toBe(false);
  });

  it("the database records who set or cleared a mark and when, whatever the statement says", async () => {
    const result = await withUser(people.operator.claims, async (tx) => {
      const [row] = await tx<{ dncSetBy: string; recent: boolean }[]>`
        update public.voice_targets set dnc = true, dnc_set_by = ${people.owner.userId}, dnc_set_at = '2000-01-01'
        where id = ${target} returning dnc_set_by as "dncSetBy", dnc_set_at > now() - interval '1 minute' as recent`;
      return row!;
    });
    expect(result).toEqual({ dncSetBy: people.operator.userId, recent: true });
    const cleared = await withUser(people.admin.claims, async (tx) => {
      const [row] = await tx<{ dnc: boolean; dncSetBy: string }[]>`
        update public.voice_targets set dnc = false where id = ${target} returning dnc, dnc_set_by as "dncSetBy"`;
      return row!;
    });
    expect(cleared).toEqual({ dnc: false, dncSetBy: people.admin.userId });
  });

  it("a number is saved once per organization, by its keyed hash; another organization may save the same", async () => {
    const dup = await attempt(people.owner.claims, async (tx) => (await tx`
      insert into public.voice_targets (organization_id, name, number, number_hash, time_zone, created_by)
      values (${orgId}, 'Again', '+12125550102', ${await numberHash(orgId, "+12125550102")}, 'America/New_York', ${people.owner.userId}) returning id`).length);
    expect(dup.ok).toBe(false);
    expect(dup.error).toMatch(/voice_targets_organization_id_number_hash_key/);
  });

  it("refuses a time zone Postgres does not know, a number not in E.164, and tags not as stored", async () => {
    for (const [zone, number, tags] of [["Mars/Olympus", "+12125550166", []], ["+05:00", "+12125550166", []], ["America/New_York", "2125550166", []], ["America/New_York", "+12125550166", ["West"]]] as const) {
      const res = await attempt(people.owner.claims, async (tx) => (await tx`
        insert into public.voice_targets (organization_id, name, number, time_zone, tags, created_by)
        values (${orgId}, 'Bad', ${number}, ${zone}, ${[...tags]}::text[], ${people.owner.userId}) returning id`).length);
      expect(res.ok, `${zone} ${number} ${tags.join()}`).toBe(false);
    }
  });

  it("each policy names the action the API authorizes", async () => {
    const rows = await sql()<{ cmd: string; rule: string }[]>`
      select cmd, coalesce(qual, '') || ' ' || coalesce(with_check, '') as rule from pg_policies
      where schemaname = 'public' and tablename = 'voice_targets' order by cmd`;
    expect(rows.map((r) => r.cmd)).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
    const rule = Object.fromEntries(rows.map((r) => [r.cmd, r.rule]));
    expect(rule.DELETE).toContain("'target.write'");
    expect(rule.INSERT).toContain("'target.write'");
    expect(rule.UPDATE).toContain("'target.dnc'");
    expect(rule.SELECT).toContain("member_org_ids");
  });
});
