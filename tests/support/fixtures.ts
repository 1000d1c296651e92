import { randomUUID } from "node:crypto";
import type { Claims } from "@/lib/db/claims";
import { appendCallEvent } from "@/lib/calls/timeline";
import { asService } from "@/lib/db";
import type { Plan, Role } from "@/lib/rbac/policy";

/** Test data made through the service path, the way seed and user:create make it. */

export async function createOrg(plan: Plan, name = `Org ${randomUUID().slice(0, 8)}`): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.organizations (name, plan) values (${name}, ${plan}) returning id`);
  return row!.id;
}

export async function createUser(email = `${randomUUID().slice(0, 8)}@example.test`): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into auth.users (email) values (${email}) returning id`);
  return row!.id;
}

export async function addMembership(orgId: string, userId: string, role: Role): Promise<void> {
  await asService((tx) => tx`insert into public.org_members (organization_id, user_id, role) values (${orgId}, ${userId}, ${role})`);
}

export async function setPlan(orgId: string, plan: Plan): Promise<void> {
  await asService((tx) => tx`update public.organizations set plan = ${plan} where id = ${orgId}`);
}

/** Claims shaped as Supabase issues them for a signed-in user. */
export function claimsFor(userId: string, email = "member@example.test"): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, email, role: "authenticated", aud: "authenticated", iat: now, exp: now + 3600, session_id: randomUUID() };
}

export async function member(orgId: string, role: Role): Promise<{ userId: string; claims: Claims }> {
  const userId = await createUser();
  await addMembership(orgId, userId, role);
  return { userId, claims: claimsFor(userId) };
}

let counter = 0;
/** A queued call row made by the service path (as a webhook or job would see it). */
export async function insertCall(orgId: string, createdBy: string): Promise<string> {
  counter += 1;
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
    values (${orgId}, ${createdBy}, 'direct', '+15550100000', '+15550100001', ${`fixture-${counter}-${randomUUID()}`},
            ${tx.json({ record: false })}, 'base')
    returning id`);
  return row!.id;
}

export async function insertCallEvent(orgId: string, callId: string): Promise<void> {
  await asService((tx) => appendCallEvent(tx, { id: callId, orgId }, "call.dialled", { CallSid: randomUUID() }, { dedupeKey: "call.dialled" }));
}
