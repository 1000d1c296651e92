import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Claims } from "@/lib/db/claims";
import { sql } from "@/lib/db/client";
import { withUser, type Tx } from "@/lib/db";
import { allows, ROLES, type Plan, type Role } from "@/lib/rbac/policy";
import { createOrg, createUser, insertCall, insertCallEvent, member } from "@/tests/support/fixtures";
import type { ShopperScript, Survey } from "@/lib/surveys/documents";
import { keypad, publishScript, publishSurvey, scriptDraft, surveyDraft } from "@/tests/support/surveys";

/**
 * RLS as the roles themselves: `authenticated` with real claims, and `anon`. Every write is
 * attempted in a transaction that is rolled back, so each attempt sees the same rows.
 */

class Rollback extends Error {
  constructor(readonly count: number) {
    super("rollback");
  }
}

interface Attempt {
  ok: boolean;
  /** Rows returned or affected. */
  count: number;
  error?: string;
}

async function attempt(claims: Claims, fn: (tx: Tx) => Promise<number>): Promise<Attempt> {
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

async function asAnon(fn: (tx: Tx) => Promise<number>): Promise<Attempt> {
  try {
    await sql().begin(async (tx) => {
      await tx`select set_config('role', 'anon', true)`;
      throw new Rollback(await fn(tx));
    });
    throw new Error("unreachable");
  } catch (err) {
    if (err instanceof Rollback) return { ok: true, count: err.count };
    return { ok: false, count: 0, error: (err as Error).message };
  }
}

/** Allowed means the statement ran and touched a row; denied means an error or nothing touched. */
const succeeded = (a: Attempt) => a.ok && a.count > 0;

interface Org {
  id: string;
  plan: Plan;
  members: Record<Role, { userId: string; claims: Claims }>;
  callId: string;
  /** An open invitation, made by the service path. */
  invitationId: string;
  /** A published survey and shopper script (version 1 each), and an answer to the survey. */
  survey: Survey;
  script: ShopperScript;
}

async function makeOrg(plan: Plan): Promise<Org> {
  const id = await createOrg(plan);
  const members = {} as Org["members"];
  for (const role of ROLES) members[role] = await member(id, role);
  await sql()`insert into public.voice_configs (organization_id) values (${id})`;
  const callId = await insertCall(id, members.operator.userId);
  await insertCallEvent(id, callId);
  const [inv] = await sql()<{ id: string }[]>`
    insert into public.invitations (organization_id, email, role, token_hash, invited_by)
    values (${id}, ${`open-${crypto.randomUUID()}@example.test`}, 'viewer', ${randomBytes(32)}, ${members.owner.userId}) returning id`;
  // Every member has a stored choice, so "someone else's" preferences are a real row.
  await sql()`insert into public.user_preferences (user_id, active_organization_id)
              select user_id, organization_id from public.org_members where organization_id = ${id}`;
  const survey = await publishSurvey(id, members.owner.userId, surveyDraft({ questions: [keypad("q1", "Rate us")] }));
  const script = await publishScript(id, members.owner.userId, scriptDraft(["Hello"]));
  await sql()`insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer,
                attempts, source, provider, received_at, sha256)
              values (${id}, ${callId}, ${survey.id}, 1, 0, 'q1', '3', 1, 'keypad', 'signalwire', now(), ${"a".repeat(64)})`;
  return { id, plan, members, callId, invitationId: inv!.id, survey, script };
}

let a: Org; // global plan: every feature available, so only the role decides
let aBase: Org; // base plan: plan gates decide
let b: Org; // the other organization

beforeAll(async () => {
  a = await makeOrg("global");
  aBase = await makeOrg("base");
  b = await makeOrg("global");
});

type Op = {
  name: string;
  /** Who may, as a function of role and plan (lib/rbac/policy.ts). */
  expected: (role: Role, plan: Plan) => boolean;
  run: (tx: Tx, org: Org, self: { userId: string }) => Promise<number>;
};

const count = (rows: { count: number }) => rows.count;

/** Another member of `org` than the caller. */
const someoneElse = (org: Org, self: { userId: string }) =>
  self.userId === org.members.analyst.userId ? org.members.viewer.userId : org.members.analyst.userId;

const OPS: Op[] = [
  {
    name: "organizations: select",
    expected: () => true,
    run: async (tx, org) => count(await tx`select id from public.organizations where id = ${org.id}`),
  },
  {
    name: "organizations: update plan",
    expected: () => false,
    run: async (tx, org) => count(await tx`update public.organizations set plan = 'global' where id = ${org.id}`),
  },
  {
    name: "organizations: delete",
    expected: () => false,
    run: async (tx, org) => count(await tx`delete from public.organizations where id = ${org.id}`),
  },
  {
    name: "org_members: select",
    expected: () => true,
    run: async (tx, org) => count(await tx`select user_id from public.org_members where organization_id = ${org.id}`),
  },
  // Nobody is added directly any more: membership comes only from accepting an invitation
  // (private.accept_invitation), so these inserts are denied to every role.
  {
    name: "org_members: add an operator",
    expected: () => false,
    run: async (tx, org) => {
      const newcomer = await createUserOutside();
      return count(await tx`insert into public.org_members (organization_id, user_id, role) values (${org.id}, ${newcomer}, 'operator') returning 1`);
    },
  },
  {
    name: "org_members: add an owner",
    expected: () => false,
    run: async (tx, org) => {
      const newcomer = await createUserOutside();
      return count(await tx`insert into public.org_members (organization_id, user_id, role) values (${org.id}, ${newcomer}, 'owner') returning 1`);
    },
  },
  {
    name: "org_members: change the viewer's role",
    expected: (role, plan) => allows(role, plan, "members.manage"),
    run: async (tx, org) =>
      count(await tx`update public.org_members set role = 'analyst' where organization_id = ${org.id} and user_id = ${org.members.viewer.userId}`),
  },
  {
    name: "org_members: hand the viewer's membership to someone else",
    expected: () => false,
    run: async (tx, org) => {
      const newcomer = await createUserOutside();
      return count(await tx`update public.org_members set user_id = ${newcomer} where organization_id = ${org.id} and user_id = ${org.members.viewer.userId}`);
    },
  },
  {
    name: "org_members: move the viewer's membership to another organization",
    expected: () => false,
    run: async (tx, org) =>
      count(await tx`update public.org_members set organization_id = ${org.id === b.id ? a.id : b.id} where organization_id = ${org.id} and user_id = ${org.members.viewer.userId}`),
  },
  {
    name: "org_members: remove the viewer",
    expected: (role, plan) => allows(role, plan, "members.manage"),
    run: async (tx, org) =>
      count(await tx`delete from public.org_members where organization_id = ${org.id} and user_id = ${org.members.viewer.userId}`),
  },
  {
    name: "invitations: select",
    expected: (role, plan) => allows(role, plan, "members.manage"),
    run: async (tx, org) => count(await tx`select id from public.invitations where organization_id = ${org.id}`),
  },
  {
    name: "invitations: invite an operator",
    expected: (role, plan) => allows(role, plan, "members.manage"),
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.invitations (organization_id, email, role, token_hash, invited_by)
        values (${org.id}, ${`rls-${crypto.randomUUID()}@example.test`}, 'operator', ${randomBytes(32)}, ${self.userId}) returning id`),
  },
  {
    name: "invitations: invite an owner",
    expected: (role, plan) => role === "owner" && allows(role, plan, "members.manage"),
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.invitations (organization_id, email, role, token_hash, invited_by)
        values (${org.id}, ${`rls-${crypto.randomUUID()}@example.test`}, 'owner', ${randomBytes(32)}, ${self.userId}) returning id`),
  },
  {
    name: "invitations: invite in someone else's name",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.invitations (organization_id, email, role, token_hash, invited_by)
        values (${org.id}, ${`rls-${crypto.randomUUID()}@example.test`}, 'viewer', ${randomBytes(32)},
                ${self.userId === org.members.owner.userId ? org.members.admin.userId : org.members.owner.userId}) returning id`),
  },
  {
    name: "invitations: insert one already accepted",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.invitations (organization_id, email, role, token_hash, invited_by, accepted_at, accepted_by)
        values (${org.id}, ${`rls-${crypto.randomUUID()}@example.test`}, 'viewer', ${randomBytes(32)}, ${self.userId}, now(), ${self.userId}) returning id`),
  },
  {
    name: "invitations: revoke",
    expected: (role, plan) => allows(role, plan, "members.manage"),
    run: async (tx, org, self) =>
      count(await tx`update public.invitations set revoked_at = now(), revoked_by = ${self.userId} where id = ${org.invitationId}`),
  },
  {
    name: "invitations: change the role or token",
    expected: () => false,
    run: async (tx, org) =>
      count(await tx`update public.invitations set role = 'owner', token_hash = ${randomBytes(32)} where id = ${org.invitationId}`),
  },
  {
    name: "invitations: mark accepted",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`update public.invitations set accepted_at = now(), accepted_by = ${self.userId} where id = ${org.invitationId}`),
  },
  {
    name: "invitations: delete",
    expected: () => false,
    run: async (tx, org) => count(await tx`delete from public.invitations where id = ${org.invitationId}`),
  },
  {
    name: "user_preferences: choose this organization for oneself",
    // Only members reach here in their own organization; across organizations it is refused.
    expected: () => true,
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.user_preferences (user_id, active_organization_id) values (${self.userId}, ${org.id})
        on conflict (user_id) do update set active_organization_id = excluded.active_organization_id returning user_id`),
  },
  {
    name: "user_preferences: choose for someone else",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.user_preferences (user_id, active_organization_id)
        values (${self.userId === org.members.owner.userId ? org.members.admin.userId : org.members.owner.userId}, ${org.id}) returning user_id`),
  },
  {
    name: "user_preferences: read someone else's",
    expected: () => false,
    run: async (tx, org, self) => count(await tx`select user_id from public.user_preferences where user_id = ${someoneElse(org, self)}`),
  },
  {
    name: "user_preferences: change someone else's",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`update public.user_preferences set active_organization_id = null where user_id = ${someoneElse(org, self)}`),
  },
  {
    name: "voice_configs: select",
    expected: () => true,
    run: async (tx, org) => count(await tx`select 1 from public.voice_configs where organization_id = ${org.id}`),
  },
  {
    name: "voice_configs: change the caller id",
    expected: (role, plan) => allows(role, plan, "voice_config.update"),
    run: async (tx, org) =>
      count(await tx`update public.voice_configs set caller_id = '+15550109999' where organization_id = ${org.id}`),
  },
  {
    name: "voice_configs: enable recording",
    expected: (role, plan) => allows(role, plan, "voice_config.update") && allows(role, plan, "recording.enable"),
    run: async (tx, org) => count(await tx`update public.voice_configs set record = true where organization_id = ${org.id}`),
  },
  {
    name: "voice_configs: enable translation",
    expected: (role, plan) => allows(role, plan, "voice_config.update") && allows(role, plan, "translation.enable"),
    run: async (tx, org) =>
      // Translation needs transcription and recording (lib/calls/modulations.ts; the database
      // refuses it alone). On every plan that includes translation, recording is included too.
      count(await tx`update public.voice_configs set record = true, transcribe = true, translate = true, translate_languages = '{es}'
                     where organization_id = ${org.id}`),
  },
  {
    name: "voice_configs: assign a survey",
    expected: (role, plan) => allows(role, plan, "voice_config.update") && allows(role, plan, "survey.enable"),
    run: async (tx, org) =>
      count(await tx`update public.voice_configs set survey_id = ${org.survey.id}, survey_version = 1, survey_sha256 = ${org.survey.sha256}
                     where organization_id = ${org.id}`),
  },
  {
    name: "voice_configs: assign a shopper script",
    expected: (role, plan) => allows(role, plan, "voice_config.update") && allows(role, plan, "survey.enable"),
    run: async (tx, org) =>
      count(await tx`update public.voice_configs set shopper_script_id = ${org.script.id}, shopper_script_version = 1,
                       shopper_script_sha256 = ${org.script.sha256} where organization_id = ${org.id}`),
  },
  ...(["survey", "shopperScript"] as const).flatMap((kind): Op[] => {
    const [identity, versions, fk] = kind === "survey" ? ["surveys", "survey_versions", "survey_id"] : ["shopper_scripts", "shopper_script_versions", "script_id"];
    const of = (org: Org) => (kind === "survey" ? org.survey : org.script);
    return [
      {
        name: `${identity}: select`,
        expected: (role, plan) => allows(role, plan, "survey.read"),
        run: async (tx, org) => count(await tx.unsafe(`select id from public.${identity} where organization_id = $1`, [org.id])),
      },
      {
        name: `${versions}: select`,
        expected: (role, plan) => allows(role, plan, "survey.read"),
        run: async (tx, org) => count(await tx.unsafe(`select version from public.${versions} where organization_id = $1`, [org.id])),
      },
      {
        name: `${identity}: create`,
        expected: (role, plan) => allows(role, plan, "survey.manage"),
        run: async (tx, org) => count(await tx.unsafe(`insert into public.${identity} (organization_id) values ($1) returning id`, [org.id])),
      },
      {
        name: `${versions}: publish version 2`,
        expected: (role, plan) => allows(role, plan, "survey.manage"),
        run: async (tx, org) => {
          const { sha256: _, ...document } = { ...of(org), version: 2, ...(kind === "shopperScript" ? { rubric: { ...org.script.rubric, version: 2 } } : {}) };
          return count(await tx.unsafe(
            `insert into public.${versions} (organization_id, ${fk}, version, title, document, sha256) values ($1, $2, 2, $3, $4, $5) returning version`,
            [org.id, of(org).id, document.title, document as never, "b".repeat(64)],
          ));
        },
      },
      {
        name: `${versions}: edit a published version`,
        expected: () => false,
        run: async (tx, org) => count(await tx.unsafe(`update public.${versions} set title = 'changed' where organization_id = $1`, [org.id])),
      },
      {
        name: `${versions}: delete a published version`,
        expected: () => false,
        run: async (tx, org) => count(await tx.unsafe(`delete from public.${versions} where organization_id = $1`, [org.id])),
      },
    ];
  }),
  {
    name: "survey_answers: select",
    expected: (role, plan) => allows(role, plan, "survey.read"),
    run: async (tx, org) => count(await tx`select id from public.survey_answers where organization_id = ${org.id}`),
  },
  {
    name: "survey_answers: change an answer",
    expected: () => false,
    run: async (tx, org) => count(await tx`update public.survey_answers set answer = '1' where organization_id = ${org.id}`),
  },
  {
    name: "survey_answers: delete an answer",
    expected: () => false,
    run: async (tx, org) => count(await tx`delete from public.survey_answers where organization_id = ${org.id}`),
  },
  {
    name: "calls: select",
    expected: () => true,
    run: async (tx, org) => count(await tx`select id from public.calls where organization_id = ${org.id}`),
  },
  {
    name: "calls: insert as oneself",
    expected: (role, plan) => allows(role, plan, "calls.place"),
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
        values (${org.id}, ${self.userId}, 'direct', '+15550100000', '+15550100002', ${crypto.randomUUID()}, '{}'::jsonb, ${org.plan})
        returning id`),
  },
  {
    name: "calls: insert on someone else's behalf",
    expected: () => false,
    run: async (tx, org, self) =>
      count(await tx`
        insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
        values (${org.id}, ${self.userId === org.members.owner.userId ? org.members.admin.userId : org.members.owner.userId}, 'direct', '+15550100000', '+15550100002', ${crypto.randomUUID()}, '{}'::jsonb, ${org.plan})
        returning id`),
  },
  {
    name: "calls: update status",
    expected: () => false,
    run: async (tx, org) => count(await tx`update public.calls set status = 'completed' where id = ${org.callId}`),
  },
  {
    name: "calls: delete",
    expected: () => false,
    run: async (tx, org) => count(await tx`delete from public.calls where id = ${org.callId}`),
  },
  {
    name: "call_events: select",
    expected: () => true,
    run: async (tx, org) => count(await tx`select id from public.call_events where call_id = ${org.callId}`),
  },
  {
    name: "call_events: insert",
    expected: () => false,
    run: async (tx, org) =>
      count(await tx`insert into public.call_events (organization_id, call_id, kind) values (${org.id}, ${org.callId}, 'state.changed') returning id`),
  },
  {
    name: "call_events: delete",
    expected: () => false,
    run: async (tx, org) => count(await tx`delete from public.call_events where call_id = ${org.callId}`),
  },
];

// A user that exists but belongs to no organization (made outside the attempt's transaction
// would be visible; made inside as `authenticated` is impossible, so use the service pool).
async function createUserOutside(): Promise<string> {
  return createUser();
}

describe("RLS: each role can do exactly what lib/rbac/policy.ts allows, in its own organization", () => {
  for (const op of OPS) {
    for (const role of ROLES) {
      for (const which of ["global", "base"] as const) {
        it(`${op.name} — ${role} on the ${which} plan`, async () => {
          const org = which === "global" ? a : aBase;
          const self = org.members[role];
          const result = await attempt(self.claims, (tx) => op.run(tx, org, self));
          expect(succeeded(result), JSON.stringify(result)).toBe(op.expected(role, org.plan));
        });
      }
    }
  }
});

describe("RLS: nobody reaches another organization's rows", () => {
  for (const op of OPS) {
    for (const role of ROLES) {
      it(`${op.name} on B — as ${role} of A`, async () => {
        const self = a.members[role];
        const result = await attempt(self.claims, (tx) => op.run(tx, b, self));
        expect(succeeded(result), JSON.stringify(result)).toBe(false);
      });
    }
  }

  it("a signed-in user with no membership sees no organization, member, config, call or event", async () => {
    const outsider = await member(await createOrg("base"), "owner");
    for (const org of [a, b]) {
      for (const op of OPS) {
        const result = await attempt(outsider.claims, (tx) => op.run(tx, org, outsider));
        expect(succeeded(result), `${op.name}: ${JSON.stringify(result)}`).toBe(false);
      }
    }
  });
});

describe("RLS: anon sees nothing and writes nothing", () => {
  for (const table of ["organizations", "org_members", "invitations", "user_preferences", "voice_configs", "calls", "call_events"]) {
    it(`anon: select from ${table}`, async () => {
      const result = await asAnon(async (tx) => count(await tx.unsafe(`select * from public.${table}`)));
      expect(succeeded(result), JSON.stringify(result)).toBe(false);
    });
  }
  it("anon: cannot call the accept function", async () => {
    const result = await asAnon(async (tx) => count(await tx`select * from private.accept_invitation(${randomBytes(32)})`));
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/permission denied/);
  });
  for (const op of OPS) {
    it(`anon: ${op.name}`, async () => {
      const result = await asAnon((tx) => op.run(tx, a, { userId: a.members.owner.userId }));
      expect(succeeded(result), JSON.stringify(result)).toBe(false);
    });
  }
});

describe("surveys, scripts and answers are immutable for every role, the service path included", () => {
  const tables = ["surveys", "survey_versions", "shopper_scripts", "shopper_script_versions", "survey_answers"];
  it("the service role has no grant to update or delete them (answers: deleted only behind a sealed tombstone)", async () => {
    const { asService } = await import("@/lib/db");
    for (const table of tables) {
      await expect(asService((tx) => tx.unsafe(`update public.${table} set organization_id = organization_id where organization_id = $1`, [a.id])))
        .rejects.toThrow(/permission denied/);
      // Retention (docs/adr/0037) may delete an answer, and only one its tombstone names, never under hold.
      await expect(asService((tx) => tx.unsafe(`delete from public.${table} where organization_id = $1`, [a.id])))
        .rejects.toThrow(table === "survey_answers" ? /deleted only with its tombstone/ : /permission denied/);
    }
  });

  it("even the table owner is refused by the triggers, truncate included", async () => {
    for (const table of tables) {
      await expect(sql().unsafe(`update public.${table} set organization_id = organization_id where organization_id = $1`, [a.id])).rejects.toThrow(/append-only/);
      await expect(sql().unsafe(`delete from public.${table} where organization_id = $1`, [a.id])).rejects.toThrow(/append-only/);
      await expect(sql().unsafe(`truncate public.${table} cascade`)).rejects.toThrow(/append-only/);
    }
  });

  it("a call's snapshot never changes, so it keeps the versions it ran with", async () => {
    await expect(sql()`update public.calls set modulations = modulations || '{"configVersion": 99}' where id = ${a.callId}`)
      .rejects.toThrow(/snapshot cannot change/);
  });
});

describe("append-only call events", () => {
  it("the service role has no grant to update or delete them", async () => {
    const { asService } = await import("@/lib/db");
    await expect(asService((tx) => tx`update public.call_events set kind = 'x.y' where call_id = ${a.callId}`)).rejects.toThrow(/permission denied/);
    await expect(asService((tx) => tx`delete from public.call_events where call_id = ${a.callId}`)).rejects.toThrow(/permission denied/);
  });

  it("even the table owner is refused by the trigger", async () => {
    await expect(sql()`update public.call_events set kind = 'x.y' where call_id = ${a.callId}`).rejects.toThrow(/append-only/);
    await expect(sql()`delete from public.call_events where call_id = ${a.callId}`).rejects.toThrow(/append-only/);
  });
});
