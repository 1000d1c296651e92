import { describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import { withUser } from "@/lib/db";
import { ACTIONS, PLANS, POLICY, ROLES, allows } from "@/lib/rbac/policy";
import { createOrg, member, setPlan } from "@/tests/support/fixtures";

/**
 * The TypeScript policy (lib/rbac/policy.ts) and the SQL policy (private.permissions,
 * private.action_plans, private.allows/can) must agree in every role × action × plan cell.
 */
describe("TypeScript and SQL policies agree", () => {
  it("have the same actions and the same least plan for each", async () => {
    const rows = await sql()<{ action: string; min_plan: string }[]>`select action, min_plan::text from private.action_plans order by action`;
    expect(rows.map((r) => r.action)).toEqual([...ACTIONS].sort());
    for (const row of rows) expect(row.min_plan, row.action).toBe(POLICY[row.action as keyof typeof POLICY].plan);
  });

  it("agree on private.allows for every role × action × plan", async () => {
    const rows = await sql()<{ role: string; plan: string; action: string; allowed: boolean }[]>`
      select r.role::text, p.plan::text, a.action, private.allows(r.role, p.plan, a.action) as allowed
      from unnest(enum_range(null::public.member_role)) as r (role)
      cross join unnest(enum_range(null::public.plan)) as p (plan)
      cross join (select action from private.action_plans) as a`;
    expect(rows).toHaveLength(ROLES.length * PLANS.length * ACTIONS.length);
    const disagreements = rows.filter(
      (r) => r.allowed !== allows(r.role as (typeof ROLES)[number], r.plan as (typeof PLANS)[number], r.action as (typeof ACTIONS)[number]),
    );
    expect(disagreements).toEqual([]);
  });

  it("agree on private.can for a real member of each role, on each plan", async () => {
    const orgId = await createOrg("base");
    const members = await Promise.all(ROLES.map(async (role) => ({ role, ...(await member(orgId, role)) })));
    const cells: string[] = [];
    for (const plan of PLANS) {
      await setPlan(orgId, plan);
      for (const m of members) {
        // As the member: `authenticated` may call private.can but not read the policy tables.
        const rows = await withUser(m.claims, (tx) => tx<{ action: string; allowed: boolean }[]>`
          select a as action, private.can(${orgId}, a) as allowed from unnest(${ACTIONS}::text[]) as a`);
        for (const row of rows) {
          if (row.allowed !== allows(m.role, plan, row.action as (typeof ACTIONS)[number])) {
            cells.push(`${m.role}/${plan}/${row.action}: sql=${row.allowed}`);
          }
        }
        expect(rows).toHaveLength(ACTIONS.length);
      }
    }
    expect(cells).toEqual([]);
  });

  it("the surveys and scripts tables are guarded by the same actions the API authorizes", async () => {
    // The routes authorize survey.read to list and read, survey.manage to create and publish
    // (app/api/surveys, app/api/shopper-scripts); RLS on the tables names the same actions.
    const rows = await sql()<{ tablename: string; cmd: string; rule: string }[]>`
      select tablename, cmd, coalesce(qual, with_check) as rule from pg_policies
      where schemaname = 'public' and tablename in ('surveys', 'survey_versions', 'shopper_scripts', 'shopper_script_versions')
      order by tablename, cmd`;
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row.rule, `${row.tablename} ${row.cmd}`).toContain(row.cmd === "SELECT" ? "'survey.read'" : "'survey.manage'");
  });
});
