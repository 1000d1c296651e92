import { hashPassword } from "@/lib/auth/passwords";
import type { Sql } from "@/lib/db/client";
import type { Plan, Role } from "@/lib/rbac/policy";

/**
 * Deterministic demo data for the embedded default: fixed UUIDs, fixed sign-ins, idempotent
 * (re-running changes nothing that exists). Never run against a production database.
 */
export const DEMO_PASSWORD = "verbatim-demo";

const DEMO_ORGS: { id: string; name: string; plan: Plan; record: boolean }[] = [
  { id: "00000000-0000-4000-8000-00000000a001", name: "Acme Health", plan: "global", record: true },
  { id: "00000000-0000-4000-8000-00000000b001", name: "Borealis Realty", plan: "base", record: false },
];

export const DEMO_USERS: { id: string; email: string; org: string; role: Role }[] = [
  { id: "00000000-0000-4000-8000-0000000a0001", email: "owner@acme.test", org: DEMO_ORGS[0]!.id, role: "owner" },
  { id: "00000000-0000-4000-8000-0000000a0002", email: "admin@acme.test", org: DEMO_ORGS[0]!.id, role: "admin" },
  { id: "00000000-0000-4000-8000-0000000a0003", email: "operator@acme.test", org: DEMO_ORGS[0]!.id, role: "operator" },
  { id: "00000000-0000-4000-8000-0000000a0004", email: "analyst@acme.test", org: DEMO_ORGS[0]!.id, role: "analyst" },
  { id: "00000000-0000-4000-8000-0000000a0005", email: "viewer@acme.test", org: DEMO_ORGS[0]!.id, role: "viewer" },
  { id: "00000000-0000-4000-8000-0000000b0001", email: "owner@borealis.test", org: DEMO_ORGS[1]!.id, role: "owner" },
];

export async function seedDemo(db: Sql): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.begin(async (tx) => {
    for (const org of DEMO_ORGS) {
      await tx`insert into public.organizations (id, name, plan) values (${org.id}, ${org.name}, ${org.plan})
               on conflict (id) do nothing`;
      await tx`insert into public.voice_configs (organization_id, record) values (${org.id}, ${org.record}) on conflict do nothing`;
    }
    for (const user of DEMO_USERS) {
      await tx`insert into auth.users (id, email, encrypted_password, email_confirmed_at)
               values (${user.id}, ${user.email}, ${passwordHash}, now())
               on conflict (id) do nothing`;
      await tx`insert into public.org_members (organization_id, user_id, role)
               values (${user.org}, ${user.id}, ${user.role})
               on conflict do nothing`;
    }
  });
}
