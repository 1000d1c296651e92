import { beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import { hashInvitationToken } from "@/lib/orgs/invitation-token";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, createOrg, insertCall } from "@/tests/support/fixtures";
import { Browser, call, PASSWORD, signedInUser, type Answer } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Joining an organization needs the joiner's consent: invitations through the real route
 * handlers, as real local sessions, against the migrated database with RLS on. No SMTP and no
 * Supabase here: the embedded default, where the inviter is handed the link.
 */
const invitations = await import("@/app/api/invitations/route");
const invitation = await import("@/app/api/invitations/[id]/route");
const accept = await import("@/app/api/invitations/accept/route");
const preview = await import("@/app/api/invitations/preview/route");
const members = await import("@/app/api/members/route");
const calls = await import("@/app/api/calls/route");
const me = await import("@/app/api/me/route");
const sessionOrg = await import("@/app/api/session/org/route");

type User = Awaited<ReturnType<typeof signedInUser>>;

let acme: string; // the inviting organization; its name sorts first on purpose
let other: string; // where the invitee already works
let owner: User;
let admin: User;
let bob: User; // operator of `other`, with a call there
let bobCall: string;

beforeAll(async () => {
  acme = await createOrg("global", "Aaa Acme");
  other = await createOrg("base", "Zed Other");
  owner = await signedInUser();
  admin = await signedInUser();
  bob = await signedInUser();
  await addMembership(acme, owner.userId, "owner");
  await addMembership(acme, admin.userId, "admin");
  await addMembership(other, bob.userId, "operator");
  bobCall = await insertCall(other, bob.userId);
});

const invite = (who: User, email: string, role: Role = "operator", orgId = acme) =>
  call(who.browser, invitations.POST, { method: "POST", body: { email, role }, orgId });

const tokenOf = (answer: Answer) => {
  const url = answer.body.acceptUrl as string;
  return url.slice(url.lastIndexOf("/") + 1);
};

const acceptAs = (browser: Browser, body: Record<string, unknown>) =>
  call(browser, accept.POST, { method: "POST", path: "/api/invitations/accept", body });

async function membershipsOf(userId: string) {
  return sql()<{ organization_id: string; role: string }[]>`
    select organization_id, role::text as role from public.org_members where user_id = ${userId} order by organization_id`;
}

async function invitationRow(token: string) {
  const [row] = await sql()`select accepted_at, revoked_at, accepted_by from public.invitations where token_hash = ${hashInvitationToken(token)}`;
  return row;
}

describe("inviting someone who already works elsewhere", () => {
  it("changes nothing for them (memberships, active organization, calls) until they accept, and accepting does not move them", async () => {
    const before = {
      memberships: await membershipsOf(bob.userId),
      me: (await call(bob.browser, me.GET)).body,
      calls: (await call(bob.browser, calls.GET, { path: "/api/calls" })).body,
    };
    expect(before.me.activeOrgId).toBe(other);
    expect((before.calls.calls as { id: string }[]).map((c) => c.id)).toContain(bobCall);

    const invited = await invite(owner, bob.email.toUpperCase());
    expect(invited.status).toBe(201);

    expect(await membershipsOf(bob.userId)).toEqual(before.memberships);
    expect((await call(bob.browser, me.GET)).body).toEqual(before.me);
    expect((await call(bob.browser, calls.GET, { path: "/api/calls" })).body).toEqual(before.calls);
    // The inviting organization cannot be reached by them either.
    expect((await call(bob.browser, calls.GET, { path: "/api/calls", orgId: acme })).status).toBe(404);

    const accepted = await acceptAs(bob.browser, { token: tokenOf(invited) });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ organization: { id: acme, name: "Aaa Acme" }, role: "operator" });
    expect((await membershipsOf(bob.userId)).map((m) => m.organization_id).sort()).toEqual([acme, other].sort());
    // Still working where they were, although the new organization sorts first.
    const after = (await call(bob.browser, me.GET)).body;
    expect(after.activeOrgId).toBe(other);
    expect((await call(bob.browser, calls.GET, { path: "/api/calls" })).body).toEqual(before.calls);

    // Switching is their explicit choice, remembered per user.
    expect((await call(bob.browser, sessionOrg.POST, { method: "POST", body: { orgId: acme } })).status).toBe(200);
    expect((await call(bob.browser, me.GET)).body.activeOrgId).toBe(acme);
    const [pref] = await sql()`select active_organization_id from public.user_preferences where user_id = ${bob.userId}`;
    expect(pref!.active_organization_id).toBe(acme);
  });
});

describe("the invite answer does not reveal whether an account exists", () => {
  it("is the same status and body shape for a known and an unknown email; only id and dates differ", async () => {
    const known = await invite(owner, bob.email, "viewer");
    const unknown = await invite(owner, `nobody-${Date.now()}@example.test`, "viewer");
    expect(known.status).toBe(201);
    expect(unknown.status).toBe(known.status);
    const shape = (a: Answer) => ({
      keys: Object.keys(a.body).sort(),
      invitation: Object.keys(a.body.invitation as object).sort(),
      role: (a.body.invitation as { role: string }).role,
      urlPrefix: (a.body.acceptUrl as string).replace(/[^/]+$/, ""),
      tokenLength: tokenOf(a).length,
    });
    expect(shape(unknown)).toEqual(shape(known));
    expect(shape(known).keys).toEqual(["acceptUrl", "invitation"]);
  });

  it("never stores the token, only its SHA-256", async () => {
    const invited = await invite(owner, `hash-${Date.now()}@example.test`);
    const token = tokenOf(invited);
    const [row] = await sql()`select encode(token_hash, 'hex') as hash, to_jsonb(i)::text as everything from public.invitations i where id = ${(invited.body.invitation as { id: string }).id}`;
    expect(row!.hash).toBe(hashInvitationToken(token).toString("hex"));
    expect(row!.everything).not.toContain(token);
  });
});

describe("tokens that cannot be used are refused and change nothing", () => {
  async function expectRefused(browser: Browser, userId: string, token: string, status: number, code: string) {
    const membershipsBefore = await membershipsOf(userId);
    const rowBefore = await invitationRow(token);
    const answer = await acceptAs(browser, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
    expect(await membershipsOf(userId)).toEqual(membershipsBefore);
    expect(await invitationRow(token)).toEqual(rowBefore);
  }

  it("expired", async () => {
    const carol = await signedInUser();
    const invited = await invite(owner, carol.email);
    await sql()`update public.invitations set expires_at = now() - interval '1 second' where token_hash = ${hashInvitationToken(tokenOf(invited))}`;
    await expectRefused(carol.browser, carol.userId, tokenOf(invited), 410, "invitation_expired");
    expect((await call(carol.browser, preview.GET, { path: `/api/invitations/preview?token=${tokenOf(invited)}` })).status).toBe(410);
  });

  it("reused", async () => {
    const carol = await signedInUser();
    const invited = await invite(owner, carol.email);
    expect((await acceptAs(carol.browser, { token: tokenOf(invited) })).status).toBe(200);
    await expectRefused(carol.browser, carol.userId, tokenOf(invited), 410, "invitation_used");
  });

  it("revoked", async () => {
    const carol = await signedInUser();
    const invited = await invite(owner, carol.email);
    const id = (invited.body.invitation as { id: string }).id;
    const revoked = await call(admin.browser, invitation.DELETE, { method: "DELETE", orgId: acme, params: { id } });
    expect(revoked.status).toBe(204);
    await expectRefused(carol.browser, carol.userId, tokenOf(invited), 410, "invitation_revoked");
    // Revoked ones leave the open list; revoking again is 404.
    const open = (await call(owner.browser, invitations.GET, { orgId: acme })).body.invitations as { id: string }[];
    expect(open.map((i) => i.id)).not.toContain(id);
    expect((await call(owner.browser, invitation.DELETE, { method: "DELETE", orgId: acme, params: { id } })).status).toBe(404);
  });

  it("addressed to another email", async () => {
    const carol = await signedInUser();
    const mallory = await signedInUser();
    const invited = await invite(owner, carol.email);
    await expectRefused(mallory.browser, mallory.userId, tokenOf(invited), 403, "invitation_email_mismatch");
    // And it still works for the right person.
    expect((await acceptAs(carol.browser, { token: tokenOf(invited) })).status).toBe(200);
  });

  it("malformed or unknown", async () => {
    const carol = await signedInUser();
    for (const token of ["nope", "x".repeat(43), "a".repeat(200)]) {
      const answer = await acceptAs(carol.browser, { token });
      expect(answer.status).toBe(404);
      expect(answer.body.error?.code).toBe("not_found");
    }
    expect(await membershipsOf(carol.userId)).toEqual([]);
  });

  it("inviting an address again replaces its open invitation", async () => {
    const carol = await signedInUser();
    const first = await invite(owner, carol.email);
    const second = await invite(owner, carol.email, "analyst");
    await expectRefused(carol.browser, carol.userId, tokenOf(first), 410, "invitation_revoked");
    expect((await acceptAs(carol.browser, { token: tokenOf(second) })).body).toMatchObject({ role: "analyst" });
  });
});

describe("accepting is single use", () => {
  it("two concurrent accepts of one token make one membership", async () => {
    const dave = await signedInUser();
    const invited = await invite(owner, dave.email);
    const token = tokenOf(invited);
    const answers = await Promise.all([acceptAs(dave.browser, { token }), acceptAs(dave.browser, { token }), acceptAs(dave.browser, { token })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410, 410]);
    expect(await membershipsOf(dave.userId)).toEqual([{ organization_id: acme, role: "operator" }]);
  });
});

describe("who may invite", () => {
  it("only owners invite owners", async () => {
    const byAdmin = await invite(admin, `o-${Date.now()}@example.test`, "owner");
    expect(byAdmin.status).toBe(403);
    expect((await invite(admin, `a-${Date.now()}@example.test`, "admin")).status).toBe(201);
    expect((await invite(owner, `o2-${Date.now()}@example.test`, "owner")).status).toBe(201);
  });

  it("operators, analysts and viewers get 403 for invite, list and revoke", async () => {
    const open = await invite(owner, `r-${Date.now()}@example.test`);
    const id = (open.body.invitation as { id: string }).id;
    for (const role of ["operator", "analyst", "viewer"] as const) {
      const who = await signedInUser();
      await addMembership(acme, who.userId, role);
      expect((await invite(who, `x-${Date.now()}@example.test`, "viewer")).status, role).toBe(403);
      expect((await call(who.browser, invitations.GET, { orgId: acme })).status, role).toBe(403);
      expect((await call(who.browser, invitation.DELETE, { method: "DELETE", orgId: acme, params: { id } })).status, role).toBe(403);
    }
    expect(await invitationRow(tokenOf(open))).toMatchObject({ revoked_at: null, accepted_at: null });
  });

  it("another organization's ids are 404", async () => {
    const stranger = await signedInUser();
    const theirs = await createOrg("base");
    await addMembership(theirs, stranger.userId, "owner");
    const open = await invite(owner, `s-${Date.now()}@example.test`);
    const id = (open.body.invitation as { id: string }).id;
    // Acme's invitation, revoked from the stranger's own organization: not found.
    expect((await call(stranger.browser, invitation.DELETE, { method: "DELETE", orgId: theirs, params: { id } })).status).toBe(404);
    // Naming Acme itself: not a member, so 404 too, for every invitation route.
    expect((await call(stranger.browser, invitation.DELETE, { method: "DELETE", orgId: acme, params: { id } })).status).toBe(404);
    expect((await call(stranger.browser, invitations.GET, { orgId: acme })).status).toBe(404);
    expect((await invite(stranger, `t-${Date.now()}@example.test`, "viewer", acme)).status).toBe(404);
    expect(await invitationRow(tokenOf(open))).toMatchObject({ revoked_at: null });
  });

  it("POST /api/members no longer adds anyone: 410 pointing at invitations", async () => {
    const email = `direct-${Date.now()}@example.test`;
    const answer = await call(owner.browser, members.POST, { method: "POST", body: { email, role: "operator", password: PASSWORD }, orgId: acme });
    expect(answer.status).toBe(410);
    expect(answer.body.error?.message).toMatch(/invitations/);
    expect(await sql()`select 1 from auth.users where email = ${email}`).toHaveLength(0);
  });
});

describe("joining with a new local account (embedded default)", () => {
  it("creates the account for the invitation's email, signs in and joins; the preview names only organization and role", async () => {
    const email = `newbie-${Date.now()}@example.test`;
    const invited = await invite(owner, email, "analyst");
    const token = tokenOf(invited);
    const browser = new Browser();
    const shown = await call(browser, preview.GET, { path: `/api/invitations/preview?token=${token}` });
    expect(shown.status).toBe(200);
    expect(Object.keys(shown.body).sort()).toEqual(["expiresAt", "orgName", "role"]);
    expect(shown.body).toMatchObject({ orgName: "Aaa Acme", role: "analyst" });

    expect((await acceptAs(browser, { token })).status).toBe(401);
    expect((await acceptAs(browser, { token, password: "short" })).status).toBe(400);
    const joined = await acceptAs(browser, { token, password: PASSWORD });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ organization: { id: acme }, role: "analyst" });
    const [user] = await sql()<{ id: string }[]>`select id from auth.users where email = ${email}`;
    expect(await membershipsOf(user!.id)).toEqual([{ organization_id: acme, role: "analyst" }]);
    // Signed in by the same answer: their only organization is the active one.
    expect((await call(browser, me.GET)).body).toMatchObject({ user: { email }, activeOrgId: acme });
  });

  it("an existing account's wrong password is the generic sign-in failure and changes nothing", async () => {
    const erin = await signedInUser();
    const invited = await invite(owner, erin.email);
    const answer = await acceptAs(new Browser(), { token: tokenOf(invited), password: "not erin's password" });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toBe("Email or password is incorrect.");
    expect(await membershipsOf(erin.userId)).toEqual([]);
    expect(await invitationRow(tokenOf(invited))).toMatchObject({ accepted_at: null });
  });

  it("a bad token creates no account", async () => {
    const before = await sql()`select count(*)::int as n from auth.users`;
    expect((await acceptAs(new Browser(), { token: "y".repeat(43), password: PASSWORD })).status).toBe(404);
    expect(await sql()`select count(*)::int as n from auth.users`).toEqual(before);
  });
});

describe("the active organization is an explicit choice, never list order", () => {
  it("two memberships and no stored choice: organization_required until they choose", async () => {
    const frank = await signedInUser();
    await addMembership(other, frank.userId, "viewer");
    await addMembership(acme, frank.userId, "viewer");
    const list = await call(frank.browser, calls.GET, { path: "/api/calls" });
    expect(list.status).toBe(409);
    expect(list.body.error).toMatchObject({ code: "organization_required", message: expect.stringMatching(/choose/) });
    expect((await call(frank.browser, me.GET)).body.activeOrgId).toBeNull();
    // The header still works for API clients.
    expect((await call(frank.browser, calls.GET, { path: "/api/calls", orgId: other })).status).toBe(200);

    const elsewhere = await createOrg("base");
    expect((await call(frank.browser, sessionOrg.POST, { method: "POST", body: { orgId: elsewhere } })).status).toBe(404);
    expect((await call(frank.browser, sessionOrg.POST, { method: "POST", body: { orgId: other } })).status).toBe(200);
    expect((await call(frank.browser, calls.GET, { path: "/api/calls" })).status).toBe(200);
    expect((await call(frank.browser, me.GET)).body.activeOrgId).toBe(other);
    // No cookie carries the choice any more.
    expect([...frank.browser.cookies.keys()]).not.toContain("verbatim-org");
  });

  it("a stored choice the user no longer belongs to is ignored", async () => {
    const gina = await signedInUser();
    await addMembership(other, gina.userId, "viewer");
    await addMembership(acme, gina.userId, "viewer");
    await call(gina.browser, sessionOrg.POST, { method: "POST", body: { orgId: acme } });
    await sql()`delete from public.org_members where user_id = ${gina.userId} and organization_id = ${acme}`;
    expect((await call(gina.browser, me.GET)).body.activeOrgId).toBe(other);
  });

  it("nobody with no membership gets a clear 4xx, not another organization", async () => {
    const hank = await signedInUser();
    const answer = await call(hank.browser, calls.GET, { path: "/api/calls" });
    expect(answer.status).toBe(409);
    expect(answer.body.error?.code).toBe("organization_required");
  });
});
