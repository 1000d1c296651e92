import { hashPassword } from "@/lib/auth/passwords";
import type { Sql } from "@/lib/db/client";
import type { Plan, Role } from "@/lib/rbac/policy";
import type { ShopperScriptDraft } from "@/lib/surveys/documents";
import { createWithFirstVersion } from "@/lib/surveys/versions";

/**
 * Deterministic demo data for the embedded default: fixed UUIDs, fixed sign-ins, idempotent
 * (re-running changes nothing that exists). Never run against a production database.
 */
export const DEMO_PASSWORD = "verbatim-demo";

// Acme offers Spanish as its translation language, so ticking Translate works from the start.
const DEMO_ORGS: { id: string; name: string; plan: Plan; record: boolean; translateLanguages: string[] }[] = [
  { id: "00000000-0000-4000-8000-00000000a001", name: "Acme Health", plan: "global", record: true, translateLanguages: ["es"] },
  { id: "00000000-0000-4000-8000-00000000b001", name: "Borealis Realty", plan: "base", record: false, translateLanguages: [] },
];

export const DEMO_USERS: { id: string; email: string; org: string; role: Role }[] = [
  { id: "00000000-0000-4000-8000-0000000a0001", email: "owner@acme.test", org: DEMO_ORGS[0]!.id, role: "owner" },
  { id: "00000000-0000-4000-8000-0000000a0002", email: "admin@acme.test", org: DEMO_ORGS[0]!.id, role: "admin" },
  { id: "00000000-0000-4000-8000-0000000a0003", email: "operator@acme.test", org: DEMO_ORGS[0]!.id, role: "operator" },
  { id: "00000000-0000-4000-8000-0000000a0004", email: "analyst@acme.test", org: DEMO_ORGS[0]!.id, role: "analyst" },
  { id: "00000000-0000-4000-8000-0000000a0005", email: "viewer@acme.test", org: DEMO_ORGS[0]!.id, role: "viewer" },
  { id: "00000000-0000-4000-8000-0000000b0001", email: "owner@borealis.test", org: DEMO_ORGS[1]!.id, role: "owner" },
];

/**
 * Acme's published shopper script, so a first call to the simulator's helpful number
 * (+15005550009) with "Shopper script" ticked is scored out of the box. Not the default: a call
 * runs it only when someone chooses it.
 */
export const DEMO_SHOPPER_SCRIPT: ShopperScriptDraft = {
  title: "Front desk check",
  persona: { name: "Sam", description: "A prospective patient asking about appointments" },
  steps: [{ say: "Hi, I am calling to ask whether you have any appointments next week." }, { pause: 3 }],
  rubric: {
    criteria: [
      { id: "greets", label: "Greets the caller", weight: 1, kind: "phrase_present", phrases: ["good morning", "good afternoon", "hello"] },
      { id: "desk", label: "Names the front desk", weight: 1, kind: "phrase_present", phrases: ["front desk"] },
      { id: "offers", label: "Offers an appointment", weight: 2, kind: "phrase_present", phrases: ["appointment"] },
      { id: "no-brush-off", label: "Does not send the caller away", weight: 2, kind: "phrase_absent", phrases: ["call back later"] },
      { id: "answers", label: "Answers within 5 seconds", weight: 1, kind: "answered_within", seconds: 5 },
      { id: "no-dead-air", label: "No silence over 4 seconds", weight: 1, kind: "longest_silence", maxSeconds: 4 },
    ],
  },
};

export async function seedDemo(db: Sql): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.begin(async (tx) => {
    for (const org of DEMO_ORGS) {
      await tx`insert into public.organizations (id, name, plan) values (${org.id}, ${org.name}, ${org.plan})
               on conflict (id) do nothing`;
      await tx`insert into public.voice_configs (organization_id, record, translate_languages)
               values (${org.id}, ${org.record}, ${org.translateLanguages}) on conflict do nothing`;
    }
    for (const user of DEMO_USERS) {
      await tx`insert into auth.users (id, email, encrypted_password, email_confirmed_at)
               values (${user.id}, ${user.email}, ${passwordHash}, now())
               on conflict (id) do nothing`;
      await tx`insert into public.org_members (organization_id, user_id, role)
               values (${user.org}, ${user.id}, ${user.role})
               on conflict do nothing`;
    }
    const [acme, owner] = [DEMO_ORGS[0]!, DEMO_USERS[0]!];
    const [scripts] = await tx<{ count: number }[]>`select count(*)::int as count from public.shopper_scripts where organization_id = ${acme.id}`;
    if (scripts!.count === 0) await createWithFirstVersion(tx, "shopperScript", { orgId: acme.id, userId: owner.id, draft: DEMO_SHOPPER_SCRIPT });
  });
}
