import { beforeAll, describe, expect, it, vi } from "vitest";
import type { ActivityEvent, ActivityResponse } from "@/lib/activity/contracts";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { recordOrganizationEvent } from "@/lib/orgs/audit";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, claimsFor, createOrg, insertCall } from "@/tests/support/fixtures";
import { call, signedInUser, type Answer } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The organization's own changes (`organization_events`) through the real routes, as real
 * sessions, under RLS: each change writes exactly one event in its own transaction (a refused
 * or rolled-back change writes none), nobody can change or delete one, only owners and admins
 * read them, and the activity feed shows them to exactly those, in its one keyset order.
 */
const voiceConfig = await import("@/app/api/voice-config/route");
const member = await import("@/app/api/members/[userId]/route");
const invitations = await import("@/app/api/invitations/route");
const invitation = await import("@/app/api/invitations/[id]/route");
const accept = await import("@/app/api/invitations/accept/route");
const activity = await import("@/app/api/activity/route");

type User = Awaited<ReturnType<typeof signedInUser>>;
const ROLES: Role[] = ["owner", "admin", "operator", "analyst", "viewer"];

interface EventRow {
  actor: string | null;
  kind: string;
  subject: string | null;
  payload: Record<string, unknown>;
}

const eventsOf = (orgId: string) => sql()<EventRow[]>`
  select actor_user_id as actor, kind, subject, payload from public.organization_events
  where organization_id = ${orgId} order by occurred_at, id`;

/** Run `change`, then the events it added to the organization's record. */
async function added(orgId: string, change: () => Promise<Answer>): Promise<{ answer: Answer; events: EventRow[] }> {
  const before = (await eventsOf(orgId)).length;
  const answer = await change();
  return { answer, events: (await eventsOf(orgId)).slice(before) };
}

const putConfig = (who: User, orgId: string, body: unknown) => call(who.browser, voiceConfig.PUT, { method: "PUT", path: "/api/voice-config", body, orgId });
const patch = (who: User, orgId: string, userId: string, body: unknown) =>
  call(who.browser, member.PATCH, { method: "PATCH", path: `/api/members/${userId}`, body, orgId, params: { userId } });
const remove = (who: User, orgId: string, userId: string) =>
  call(who.browser, member.DELETE, { method: "DELETE", path: `/api/members/${userId}`, orgId, params: { userId } });
const invite = (who: User, orgId: string, email: string, role: Role) =>
  call(who.browser, invitations.POST, { method: "POST", path: "/api/invitations", body: { email, role }, orgId });
const revoke = (who: User, orgId: string, id: string) =>
  call(who.browser, invitation.DELETE, { method: "DELETE", path: `/api/invitations/${id}`, orgId, params: { id } });
const feed = async (who: User, orgId: string, query = "") =>
  (await call(who.browser, activity.GET, { path: `/api/activity${query}`, orgId })) as { status: number; body: ActivityResponse };

let orgId: string;
let otherOrg: string;
let users: Record<Role, User>;
let stranger: User;

beforeAll(async () => {
  orgId = await createOrg("global");
  otherOrg = await createOrg("global");
  await sql()`insert into public.voice_configs (organization_id) values (${orgId}), (${otherOrg})`;
  users = {} as Record<Role, User>;
  for (const role of ROLES) {
    users[role] = await signedInUser();
    await addMembership(orgId, users[role].userId, role);
  }
  stranger = await signedInUser();
  await addMembership(otherOrg, stranger.userId, "owner");
});

describe("each change writes exactly one event, in its own transaction", () => {
  it("voice configuration: the new version and the names of the fields that changed, by whom", async () => {
    const { config } = (await call(users.owner.browser, voiceConfig.GET, { path: "/api/voice-config", orgId })).body as { config: { version: number } };
    const { answer, events } = await added(orgId, () =>
      putConfig(users.owner, orgId, { disclosureText: "This call is recorded for quality.", record: true, basedOn: config.version }));
    expect(answer.status).toBe(200);
    expect(events).toEqual([{
      actor: users.owner.userId, kind: "voice_config.updated", subject: null,
      payload: { version: config.version + 1, fields: ["record", "disclosureText"] },
    }]);
    // Values are not recorded: the disclosure text is nowhere in the event.
    expect(JSON.stringify(events)).not.toContain("quality");
  });

  it("voice configuration refused (stale version 409, incoherent 422, operator 403): no event", async () => {
    for (const [who, body, status] of [
      [users.admin, { record: false, basedOn: 0 }, 409],
      [users.admin, { translate: true, transcribe: true, record: true, translateLanguages: [] }, 422],
      [users.operator, { disclosureText: "x" }, 403],
    ] as const) {
      const { answer, events } = await added(orgId, () => putConfig(who, orgId, body));
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(events).toEqual([]);
    }
  });

  it("role changes: member, from and to; refused ones (admin → owner 403, last owner 409) write nothing", async () => {
    const { answer, events } = await added(orgId, () => patch(users.admin, orgId, users.viewer.userId, { role: "analyst" }));
    expect(answer.status).toBe(200);
    expect(events).toEqual([{ actor: users.admin.userId, kind: "member.role_changed", subject: users.viewer.userId, payload: { from: "viewer", to: "analyst" } }]);
    // Back again, and a no-op (same role) records nothing.
    expect((await added(orgId, () => patch(users.owner, orgId, users.viewer.userId, { role: "viewer" }))).events).toHaveLength(1);
    expect((await added(orgId, () => patch(users.owner, orgId, users.viewer.userId, { role: "viewer" }))).events).toEqual([]);

    const admin = await added(orgId, () => patch(users.admin, orgId, users.viewer.userId, { role: "owner" }));
    expect(admin.answer.status).toBe(403);
    expect(admin.events).toEqual([]);
    // The SQL trigger refuses the last owner's demotion after the update was sent: the whole
    // transaction rolls back, and with it anything recorded.
    const lastOwner = await added(orgId, () => patch(users.owner, orgId, users.owner.userId, { role: "admin" }));
    expect(lastOwner.answer.status).toBe(409);
    expect(lastOwner.answer.body.error!.code).toBe("last_owner");
    expect(lastOwner.events).toEqual([]);
  });

  it("removals: member and role; the last owner's removal (409) writes nothing", async () => {
    const org = await createOrg("base");
    const owner = await signedInUser();
    const leaving = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    await addMembership(org, leaving.userId, "operator");
    const { answer, events } = await added(org, () => remove(owner, org, leaving.userId));
    expect(answer.status).toBe(204);
    expect(events).toEqual([{ actor: owner.userId, kind: "member.removed", subject: leaving.userId, payload: { role: "operator" } }]);
    const refused = await added(org, () => remove(owner, org, owner.userId));
    expect(refused.answer.status).toBe(409);
    expect(refused.events).toEqual([]);
  });

  it("invitations: created (email, role), replaced, revoked, accepted (who joined); refused ones write nothing", async () => {
    const joiner = await signedInUser();
    const created = await added(orgId, () => invite(users.admin, orgId, joiner.email, "analyst"));
    expect(created.answer.status).toBe(201);
    const first = (created.answer.body.invitation as { id: string }).id;
    expect(created.events).toEqual([{ actor: users.admin.userId, kind: "invitation.created", subject: first, payload: { email: joiner.email, role: "analyst" } }]);
    // No token and no link in the record.
    const token = (created.answer.body.acceptUrl as string).split("/").at(-1)!;
    expect(JSON.stringify(await eventsOf(orgId))).not.toContain(token);

    // Inviting the address again replaces the open invitation: both are recorded, in one transaction.
    const again = await added(orgId, () => invite(users.owner, orgId, joiner.email, "operator"));
    const second = (again.answer.body.invitation as { id: string }).id;
    expect(again.events.map((e) => [e.kind, e.subject, e.payload])).toEqual([
      ["invitation.revoked", first, { email: joiner.email, role: "analyst" }],
      ["invitation.created", second, { email: joiner.email, role: "operator" }],
    ]);

    const forbidden = await added(orgId, () => invite(users.admin, orgId, "someone@example.test", "owner"));
    expect(forbidden.answer.status).toBe(403);
    expect(forbidden.events).toEqual([]);

    const accepted = await added(orgId, () =>
      call(joiner.browser, accept.POST, { method: "POST", path: "/api/invitations/accept", body: { token: (again.answer.body.acceptUrl as string).split("/").at(-1) } }));
    expect(accepted.answer.status).toBe(200);
    expect(accepted.events).toEqual([{ actor: joiner.userId, kind: "invitation.accepted", subject: joiner.userId, payload: { role: "operator" } }]);
    // A used token is refused (410) and records nothing.
    const used = await added(orgId, () =>
      call(joiner.browser, accept.POST, { method: "POST", path: "/api/invitations/accept", body: { token: (again.answer.body.acceptUrl as string).split("/").at(-1) } }));
    expect(used.answer.status).toBe(410);
    expect(used.events).toEqual([]);

    const withdrawn = await invite(users.owner, orgId, "later@example.test", "viewer");
    const id = (withdrawn.body.invitation as { id: string }).id;
    const revoked = await added(orgId, () => revoke(users.admin, orgId, id));
    expect(revoked.answer.status).toBe(204);
    expect(revoked.events).toEqual([{ actor: users.admin.userId, kind: "invitation.revoked", subject: id, payload: { email: "later@example.test", role: "viewer" } }]);
    const twice = await added(orgId, () => revoke(users.admin, orgId, id));
    expect(twice.answer.status).toBe(404);
    expect(twice.events).toEqual([]);
    // Another organization's invitation: 404, nothing recorded in either.
    const theirs = (await invite(stranger, otherOrg, "theirs@example.test", "viewer")).body.invitation as { id: string };
    const before = (await eventsOf(otherOrg)).length;
    expect((await revoke(users.owner, orgId, theirs.id)).status).toBe(404);
    expect((await eventsOf(otherOrg)).length).toBe(before);
  });

  it("a change whose transaction rolls back after the event leaves no event", async () => {
    const before = (await eventsOf(orgId)).length;
    await expect(withUser(claimsFor(users.owner.userId), async (tx) => {
      await recordOrganizationEvent(tx, { orgId, event: { kind: "member.removed", subject: users.viewer.userId, payload: { role: "viewer" } } });
      throw new Error("the change failed after its event was written");
    })).rejects.toThrow("the change failed");
    expect((await eventsOf(orgId)).length).toBe(before);
  });
});

describe("append-only, for every role", () => {
  it("nobody updates, deletes or truncates an event: members, the service path, the table owner", async () => {
    const count = (await eventsOf(orgId)).length;
    expect(count).toBeGreaterThan(0);
    for (const role of ROLES) {
      for (const statement of ["update public.organization_events set kind = 'member.removed'", "delete from public.organization_events", "truncate public.organization_events"]) {
        await expect(withUser(claimsFor(users[role].userId), (tx) => tx.unsafe(statement)), `${role}: ${statement}`).rejects.toThrow(/permission denied/);
      }
    }
    for (const statement of ["update public.organization_events set kind = 'member.removed'", "delete from public.organization_events", "truncate public.organization_events"]) {
      await expect(asService((tx) => tx.unsafe(statement)), `service: ${statement}`).rejects.toThrow(/permission denied/);
      // The table owner holds every privilege; the trigger refuses anyway.
      await expect(sql().unsafe(statement), `owner: ${statement}`).rejects.toThrow(/append-only/);
    }
    expect((await eventsOf(orgId)).length).toBe(count);
  });

  it("no API role inserts directly; the one function records only as the caller, only where they are a member", async () => {
    const insert = `insert into public.organization_events (organization_id, kind) values ('${orgId}', 'member.removed')`;
    await expect(withUser(claimsFor(users.owner.userId), (tx) => tx.unsafe(insert))).rejects.toThrow(/permission denied/);
    await expect(asService((tx) => tx.unsafe(insert))).rejects.toThrow(/permission denied/);
    // A member of another organization cannot write into this one.
    await expect(withUser(claimsFor(stranger.userId), (tx) =>
      recordOrganizationEvent(tx, { orgId, event: { kind: "member.removed", subject: users.viewer.userId, payload: { role: "viewer" } } }))).rejects.toThrow(/not allowed to record member.removed/);
    // Payloads outside the catalogue never reach SQL.
    await expect(withUser(claimsFor(users.owner.userId), (tx) =>
      recordOrganizationEvent(tx, { orgId, event: { kind: "invitation.created", subject: users.viewer.userId, payload: { email: "a@example.test", role: "viewer", token: "x" } as never } }))).rejects.toThrow();
  });
});

describe("who reads them", () => {
  it("RLS: owners and admins read their organization's events; operators, analysts, viewers and other organizations none", async () => {
    const total = (await eventsOf(orgId)).length;
    for (const role of ROLES) {
      const rows = await withUser(claimsFor(users[role].userId), (tx) => tx`select organization_id from public.organization_events`);
      const ours = rows.filter((r) => r.organization_id === orgId).length;
      expect(ours, role).toBe(role === "owner" || role === "admin" ? total : 0);
      expect(rows.every((r) => r.organization_id === orgId), role).toBe(true);
    }
    const theirs = await withUser(claimsFor(stranger.userId), (tx) => tx`select organization_id from public.organization_events where organization_id = ${orgId}`);
    expect(theirs).toHaveLength(0);
  });

  it("the feed (GET /api/activity) shows owners and admins one line per change with emails, and nobody else any", async () => {
    for (const role of ["owner", "admin"] as const) {
      const { status, body } = await feed(users[role], orgId, "?limit=100");
      expect(status).toBe(200);
      const changes = body.events.filter((e) => e.source === "organization");
      expect(changes.length, role).toBe((await eventsOf(orgId)).length);
      expect(changes.every((e) => e.callId === null && e.number === null)).toBe(true);
      expect(changes.every((e) => e.label === (e.kind === "voice_config.updated" ? "Settings" : "Members"))).toBe(true);
      const lines = changes.map((e) => e.summary);
      expect(lines).toContain(`${users.owner.email} changed the voice configuration (version 2: record, disclosure text)`);
      expect(lines).toContain(`${users.admin.email} made ${users.viewer.email} an analyst (was a viewer)`);
      expect(lines).toContain(`${users.owner.email} invited later@example.test as a viewer`);
      expect(lines).toContain(`${users.admin.email} withdrew the invitation of later@example.test (viewer)`);
      expect(lines.some((l) => / accepted an invitation and joined as an operator$/.test(l))).toBe(true);
    }
    for (const role of ["operator", "analyst", "viewer"] as const) {
      const { status, body } = await feed(users[role], orgId, "?limit=100");
      expect(status).toBe(200);
      expect(body.events.filter((e) => e.source === "organization"), role).toEqual([]);
      expect(JSON.stringify(body)).not.toContain("later@example.test");
    }
    expect((await feed(stranger, otherOrg, "?limit=100")).body.events.some((e) => JSON.stringify(e).includes("later@example.test"))).toBe(false);
    expect((await feed(stranger, orgId)).status).toBe(404);
  });
});

describe("in the feed's one order", () => {
  it("pages across call events, manifests and organization events with equal times, each once", async () => {
    const org = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const c = await insertCall(org, owner.userId);
    // One transaction: now() is the same for every row written in it (call events straight into
    // the table, a fixture: the timeline's writer takes a millisecond Date, now() has microseconds).
    await asService(async (tx) => {
      for (let i = 0; i < 5; i++) {
        await tx`insert into public.call_events (organization_id, call_id, kind, dedupe_key, payload, occurred_at)
                 values (${org}, ${c}, 'call.dialled', ${`k${i}`}, ${tx.json({ CallSid: `CA${i}` })}, now())`;
        await recordOrganizationEvent(tx, { orgId: org, event: { kind: "member.role_changed", subject: owner.userId, payload: { from: "admin", to: "owner" } } });
      }
      await tx`insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid, sealed_at)
               values (${org}, ${c}, 1, '{}'::jsonb, ${"a".repeat(64)}, 'a..c', 'test-key', now())`;
    });
    const all = (await feed(owner, org, "?limit=100")).body.events;
    expect(all).toHaveLength(11);
    expect(new Set(all.map((e) => e.occurredAt)).size).toBe(1);
    expect(all.filter((e) => e.source === "organization").map((e) => e.summary)[0]).toBe(`The system made ${owner.email} an owner (was an admin)`);
    const seen: ActivityEvent[] = [];
    let before: string | null = null;
    do {
      const page: { body: ActivityResponse } = await feed(owner, org, `?limit=2${before ? `&before=${encodeURIComponent(before)}` : ""}`);
      seen.push(...page.body.events);
      before = page.body.nextBefore;
    } while (before);
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(11);
  });

  it("reads organization events by their index range: a page of an organization with 20k changes", async () => {
    const org = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    // Through the one function (the service path: no actor), 20k changes in one statement.
    await asService((tx) => tx`
      select private.append_organization_event(${org}::uuid, 'member.role_changed', ${owner.userId}, '{"from":"admin","to":"owner"}'::jsonb)
      from generate_series(1, 20000)`);
    await sql()`analyze public.organization_events`;
    const started = Date.now();
    const page = await feed(owner, org, "?limit=50");
    const ms = Date.now() - started;
    expect(page.body.events).toHaveLength(50);
    const next = await feed(owner, org, `?limit=50&before=${encodeURIComponent(page.body.nextBefore!)}`);
    expect(next.body.events).toHaveLength(50);
    expect(new Set([...page.body.events, ...next.body.events].map((e) => e.id)).size).toBe(100);
    console.info(`activity feed, 20k organization events: first page ${ms} ms`);
    const plan = await sql()<{ "QUERY PLAN": string }[]>`
      explain select o.id from public.organization_events o
      where o.organization_id = ${org} and o.occurred_at <= now()
        and (o.occurred_at, 'organization'::text, lpad(o.id::text, 20, '0')) < (now(), 'organization'::text, '99999999999999999999'::text)
      order by o.occurred_at desc, o.id desc limit 51`;
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).toContain("organization_events_org_occurred_idx");
    expect(text).not.toMatch(/Sort/);
  });

  it("announces each event to the organization's channel, ids only, no call", async () => {
    const notices: Record<string, unknown>[] = [];
    const listener = await sql().listen("verbatim_realtime", (payload) => notices.push(JSON.parse(payload) as Record<string, unknown>));
    try {
      notices.length = 0;
      expect((await patch(users.owner, orgId, users.analyst.userId, { role: "viewer" })).status).toBe(200);
      await expect.poll(() => notices.filter((n) => n.org === orgId && n.callId === null).length, { timeout: 5_000 }).toBe(1);
      expect(notices).toContainEqual({ org: orgId, topic: "calls", callId: null });
    } finally {
      await listener.unlisten();
    }
  });
});

describe("who may write an activity entry (issue 17 §6)", () => {
  const entry = (org: string, kind: string, subject: string | null) => async (tx: import("@/lib/db").Tx) =>
    tx`select private.append_organization_event(${org}::uuid, ${kind}, ${subject}, '{}'::jsonb)`;
  const count = async (org: string) => (await sql()<{ n: number }[]>`select count(*)::int as n from public.organization_events where organization_id = ${org}`)[0]!.n;

  it("refuses a member writing into another organization, an operator writing a manager's entry, and a caller without a sub", async () => {
    const mine = await createOrg("global");
    const theirs = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(mine, owner.userId, "owner");
    const operator = await signedInUser();
    await addMembership(mine, operator.userId, "operator");
    const claims = (userId: string) => claimsFor(userId);

    const refused: Array<[string, () => Promise<unknown>]> = [
      // Naming oneself removed used to pass in any organization.
      ["member.removed of self, elsewhere", () => withUser(claims(owner.userId), entry(theirs, "member.removed", owner.userId))],
      ["voice_config.updated elsewhere", () => withUser(claims(owner.userId), entry(theirs, "voice_config.updated", null))],
      ["invitation.accepted elsewhere", () => withUser(claims(owner.userId), entry(theirs, "invitation.accepted", owner.userId))],
      ["operator: member.role_changed", () => withUser(claims(operator.userId), entry(mine, "member.role_changed", owner.userId))],
      ["operator: voice_config.updated", () => withUser(claims(operator.userId), entry(mine, "voice_config.updated", null))],
      ["invitation.accepted naming someone else", () => withUser(claims(operator.userId), entry(mine, "invitation.accepted", owner.userId))],
      // A transaction as `authenticated` whose claims carry no `sub`: it used to count as the service path.
      ["no sub", () => sql().begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', '{"role":"authenticated"}', true), set_config('role', 'authenticated', true)`;
        await entry(theirs, "member.role_changed", owner.userId)(tx as never);
      })],
    ];
    for (const [label, attempt] of refused) await expect(attempt(), label).rejects.toThrow(/not allowed|signed-in actor|permission/);
    expect(await count(theirs)).toBe(0);
    expect(await count(mine)).toBe(0);

    // What the authority allows still goes in, as the caller; the service path as no one.
    await withUser(claims(owner.userId), entry(mine, "voice_config.updated", null));
    await withUser(claims(operator.userId), entry(mine, "invitation.accepted", operator.userId));
    await asService(entry(theirs, "member.role_changed", owner.userId));
    expect(await count(mine)).toBe(2);
    expect(await count(theirs)).toBe(1);
  });

  it("records a manager removing themselves: written while they still manage members", async () => {
    const org = await createOrg("global");
    const first = await signedInUser();
    await addMembership(org, first.userId, "owner");
    const second = await signedInUser();
    await addMembership(org, second.userId, "admin");
    const res = await call(second.browser, member.DELETE, { method: "DELETE", path: `/api/members/${second.userId}`, orgId: org, params: { userId: second.userId } });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    const [row] = await sql()<{ kind: string; subject: string; actor: string }[]>`
      select kind, subject, actor_user_id::text as actor from public.organization_events where organization_id = ${org}`;
    expect(row).toEqual({ kind: "member.removed", subject: second.userId, actor: second.userId });
  });
});
