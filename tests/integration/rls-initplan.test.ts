import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import { withUser } from "@/lib/db";
import { createOrg, member } from "@/tests/support/fixtures";

/**
 * RLS helpers run once per statement, not once per row. A helper wrapped in (select …) is an
 * InitPlan only if nothing inside refers to the row: `(select private.is_member(organization_id))`
 * is a correlated SubPlan, run for every row. So every helper call in every policy must sit
 * directly inside a (select …) and take only constants.
 */

/** Functions whose result depends on who is asking, not on the row. */
const HELPER = /\b(private\.[a-z_]+|auth\.(?:uid|jwt|role)|realtime\.topic)\(/g;

/**
 * Policies that must pass the row itself to a helper, so the call cannot be hoisted. Keyed by
 * table and (possibly truncated) policy name, with the call that is allowed to stay.
 */
const EXCEPTIONS: { table: string; policy: string; call: string; reason: string }[] = [
  {
    table: "voice_configs",
    policy: "Owners and admins can create the voice config their plan allows",
    call: "private.voice_config_allowed(voice_configs.*)",
    reason: "which permissions are needed depends on the modulations the new row turns on; one row per insert",
  },
  {
    table: "voice_configs",
    policy: "Owners and admins can change the voice config within their plan",
    call: "private.voice_config_allowed(voice_configs.*)",
    reason: "which permissions are needed depends on the modulations the updated row turns on; one row per update",
  },
];

/** The text of the balanced parenthesis group opening at `open`. */
function group(text: string, open: number): string {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") inString = !inString;
    if (inString) continue;
    if (ch === "(") depth++;
    if (ch === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced: ${text}`);
}

/** Each helper call in an expression that is not hoisted: not directly in (select …), or fed a column. */
export function unhoistedCalls(expression: string): string[] {
  const bad: string[] = [];
  for (const match of expression.matchAll(HELPER)) {
    const start = match.index!;
    const args = group(expression, start + match[1]!.length);
    const call = `${match[1]}(${args})`;
    const hoisted = expression.slice(0, start).endsWith("( SELECT ");
    // Only constants: string literals with casts, nothing else (a column would remain).
    const constantArgs = args.replace(/'(?:[^']|'')*'/g, "").replace(/::[a-z_."]+/gi, "").replace(/[\s,]/g, "") === "";
    if (!hoisted || !constantArgs) bad.push(call);
  }
  return bad;
}

describe("RLS policies", () => {
  it("the audit itself tells hoisted calls from per-row ones", () => {
    expect(unhoistedCalls("(organization_id = ANY (( SELECT private.member_org_ids() AS member_org_ids)))")).toEqual([]);
    expect(unhoistedCalls("(user_id = ( SELECT auth.uid() AS uid))")).toEqual([]);
    expect(unhoistedCalls("( SELECT private.org_ids_allowing('calls.place'::text) AS x)")).toEqual([]);
    expect(unhoistedCalls("( SELECT private.is_member(calls.organization_id) AS is_member)")).toEqual(["private.is_member(calls.organization_id)"]);
    expect(unhoistedCalls("(created_by = auth.uid())")).toEqual(["auth.uid()"]);
  });

  it("call every helper once per statement, except the listed row checks", async () => {
    const policies = await sql()<{ schemaname: string; tablename: string; policyname: string; qual: string | null; with_check: string | null }[]>`
      select schemaname, tablename, policyname, qual, with_check from pg_policies order by 1, 2, 3`;
    expect(policies.length).toBeGreaterThan(15);
    const offenders: string[] = [];
    for (const p of policies) {
      for (const expression of [p.qual, p.with_check]) {
        if (!expression) continue;
        for (const call of unhoistedCalls(expression)) {
          const excused = EXCEPTIONS.some((e) => e.table === p.tablename && e.policy.startsWith(p.policyname) && e.call === call);
          if (!excused) offenders.push(`${p.schemaname}.${p.tablename} "${p.policyname}": ${call}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

type PlanNode = {
  "Node Type": string;
  "Parent Relationship"?: string;
  "Subplan Name"?: string;
  "Actual Loops"?: number;
  Output?: string[];
  Plans?: PlanNode[];
};
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe("reading calls as a member", () => {
  let claims: Awaited<ReturnType<typeof member>>["claims"];

  beforeAll(async () => {
    const orgId = await createOrg("pro");
    const operator = await member(orgId, "operator");
    claims = operator.claims;
    await sql()`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status)
      select ${orgId}, ${operator.userId}, 'direct', '+15550100000', '+15550100001', 'initplan-' || g, '{}'::jsonb, 'pro', 'completed'
      from generate_series(1, 3000) g`;
    await sql()`analyze public.calls`;
  });

  it("evaluates the membership helper once, as an InitPlan, however many rows it reads", async () => {
    const [row] = await withUser(claims, (tx) =>
      tx.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>("explain (analyze, verbose, format json) select count(*) from public.calls"),
    );
    const plan = nodes(row!["QUERY PLAN"][0].Plan);
    const scan = plan.find((n) => n["Node Type"] === "Seq Scan" || n["Node Type"].includes("Index"));
    expect(scan?.["Actual Loops"]).toBe(1);
    const initPlans = plan.filter((n) => n["Parent Relationship"] === "InitPlan");
    expect(initPlans.map((n) => ({ loops: n["Actual Loops"], output: n.Output }))).toEqual([
      { loops: 1, output: ["private.member_org_ids()"] },
    ]);
    expect(plan.filter((n) => n["Parent Relationship"] === "SubPlan"), "no per-row helper call").toEqual([]);
    const [counted] = await withUser(claims, (tx) => tx<{ count: number }[]>`select count(*)::int as count from public.calls`);
    expect(counted?.count).toBe(3000);
  });
});
