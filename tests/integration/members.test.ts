import { beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import type { Role } from "@/lib/rbac/policy";
import { withUser, type Tx } from "@/lib/db";
import { addMembership, claimsFor, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Managing members through the real route handlers, as real local sessions, against the
 * migrated database with RLS on: who may change whose role, the last owner, other
 * organizations, bad input, and the SQL rule under concurrency.
 */
const member = await import("@/app/api/members/[userId]/route");
const members = await import("@/app/api/members/route");
const calls = await import("@/app/api/calls/route");

type User = Awaited<ReturnType<typeof signedInUser>>;

async function orgWith(roles: Role[]): Promise<{ orgId: string; users: User[] }> {
  const orgId = await createOrg("global");
  const users: User[] = [];
  for (const role of roles) {
    const user = await signedInUser();
    await addMembership(orgId, user.userId, role);
    users.push(user);
  }
  return { orgId, users };
}

const roleOf = async (orgId: string, userId: string) =>
  (await sql()<{ role: string }[]>`select role::text as role from public.org_members where organization_id = ${orgId} and user_id = ${userId}`)[0]?.role ?? null;

const patch = (who: User, orgId: string, userId: string, body: unknown) =>
  call(who.browser, member.PATCH, { method: "PATCH", path: `/api/members/${userId}`, body, orgId, params: { userId } });
const remove = (who: User, orgId: string, userId: string) =>
  call(who.browser, member.DELETE, { method: "DELETE", path: `/api/members/${userId}`, orgId, params: { userId } });

describe("changing roles", () => {
  let orgId: string;
  let owner: User, admin: User, operator: User, analyst: User, viewer: User;
  beforeAll(async () => {
    const made = await orgWith(["owner", "admin", "operator", "analyst", "viewer"]);
    orgId = made.orgId;
    [owner, admin, operator, analyst, viewer] = made.users as [User, User, User, User, User];
  });

  it("an owner changes any role, the owner role included; the answer is the member", async () => {
    const res = await patch(owner, orgId, viewer.userId, { role: "analyst" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ member: { userId: viewer.userId, email: viewer.email, role: "analyst", createdAt: expect.any(String) } });
    expect(await roleOf(orgId, viewer.userId)).toBe("analyst");
    expect((await patch(owner, orgId, viewer.userId, { role: "owner" })).status).toBe(200);
    expect(await roleOf(orgId, viewer.userId)).toBe("owner");
    expect((await patch(owner, orgId, viewer.userId, { role: "viewer" })).status).toBe(200);
    expect(await roleOf(orgId, viewer.userId)).toBe("viewer");
  });

  it("an admin manages admins, operators, analysts and viewers, but not the owner role (403, nothing changed)", async () => {
    expect((await patch(admin, orgId, operator.userId, { role: "analyst" })).status).toBe(200);
    expect((await patch(admin, orgId, operator.userId, { role: "admin" })).status).toBe(200);
    expect((await patch(admin, orgId, operator.userId, { role: "operator" })).status).toBe(200);
    expect(await roleOf(orgId, operator.userId)).toBe("operator");

    const grant = await patch(admin, orgId, operator.userId, { role: "owner" });
    expect(grant.status).toBe(403);
    expect(grant.body.error).toMatchObject({ code: "forbidden", message: "Only an owner can make someone an owner." });
    expect(await roleOf(orgId, operator.userId)).toBe("operator");

    const demote = await patch(admin, orgId, owner.userId, { role: "viewer" });
    expect(demote.status).toBe(403);
    expect(demote.body.error!.message).toBe("Only an owner can change an owner's role.");
    expect(await roleOf(orgId, owner.userId)).toBe("owner");

    const removal = await remove(admin, orgId, owner.userId);
    expect(removal.status).toBe(403);
    expect(removal.body.error!.message).toBe("Only an owner can remove an owner.");
    expect(await roleOf(orgId, owner.userId)).toBe("owner");
  });

  it("operators, analysts and viewers may not manage members (403, nothing changed)", async () => {
    for (const who of [operator, analyst, viewer]) {
      expect((await patch(who, orgId, analyst.userId, { role: "viewer" })).status).toBe(403);
      expect((await remove(who, orgId, viewer.userId)).status).toBe(403);
      expect((await call(who.browser, members.GET, { orgId })).status).toBe(403);
    }
    expect(await roleOf(orgId, analyst.userId)).toBe("analyst");
    expect(await roleOf(orgId, viewer.userId)).toBe("viewer");
  });

  it("malformed ids and bodies are 400, oversized bodies 413, and nothing changes", async () => {
    expect((await patch(owner, orgId, "not-a-uuid", { role: "viewer" })).status).toBe(400);
    expect((await remove(owner, orgId, "not-a-uuid")).status).toBe(400);
    for (const body of [{}, { role: "superuser" }, { role: 3 }, { role: "viewer", extra: true }, [], "viewer"]) {
      const res = await patch(owner, orgId, viewer.userId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error!.code).toBe("invalid_request");
    }
    const huge = await patch(owner, orgId, viewer.userId, { role: "analyst", padding: "x".repeat(4096) });
    expect(huge.status).toBe(413);
    const notJson = await call(owner.browser, member.PATCH, { method: "PATCH", orgId, params: { userId: viewer.userId }, headers: { "content-type": "text/plain" } });
    expect(notJson.status).toBe(415);
    expect(await roleOf(orgId, viewer.userId)).toBe("viewer");
  });
});

describe("other organizations", () => {
  it("a member of another organization, an unknown id, or another organization's header are 404; nothing changes", async () => {
    const a = await orgWith(["owner", "viewer"]);
    const b = await orgWith(["owner", "viewer"]);
    const [ownerA] = a.users as [User, User];
    const [ownerB, viewerB] = b.users as [User, User];
    const cross = await patch(ownerA, a.orgId, viewerB.userId, { role: "admin" });
    expect(cross.status).toBe(404);
    expect(cross.body.error!.code).toBe("not_found");
    expect((await remove(ownerA, a.orgId, ownerB.userId)).status).toBe(404);
    expect((await patch(ownerA, a.orgId, "00000000-0000-4000-8000-000000000999", { role: "admin" })).status).toBe(404);
    // Naming the other organization: not a member there, 404 before anything else.
    expect((await patch(ownerA, b.orgId, viewerB.userId, { role: "admin" })).status).toBe(404);
    expect((await remove(ownerA, b.orgId, viewerB.userId)).status).toBe(404);
    expect(await roleOf(b.orgId, viewerB.userId)).toBe("viewer");
    expect(await roleOf(b.orgId, ownerB.userId)).toBe("owner");
  });
});

describe("the last owner", () => {
  it("can be neither demoted nor removed (409 last_owner, saying what to do), by themselves or anyone", async () => {
    const { orgId, users: [owner, admin] = [] } = await orgWith(["owner", "admin"]);
    const demote = await patch(owner!, orgId, owner!.userId, { role: "admin" });
    expect(demote.status).toBe(409);
    expect(demote.body.error!.code).toBe("last_owner");
    expect(demote.body.error!.message).toMatch(/last owner/);
    expect(demote.body.error!.message).toMatch(/Make another member an owner first/);
    const removal = await remove(owner!, orgId, owner!.userId);
    expect(removal.status).toBe(409);
    expect(removal.body.error!.code).toBe("last_owner");
    expect(await roleOf(orgId, owner!.userId)).toBe("owner");
    // Setting the same role is no change at all.
    expect((await patch(owner!, orgId, owner!.userId, { role: "owner" })).status).toBe(200);

    // With a second owner, the first may step down or leave.
    expect((await patch(owner!, orgId, admin!.userId, { role: "owner" })).status).toBe(200);
    expect((await patch(owner!, orgId, owner!.userId, { role: "admin" })).status).toBe(200);
    expect(await roleOf(orgId, owner!.userId)).toBe("admin");
    // Now the former admin is the last owner.
    expect((await remove(admin!, orgId, admin!.userId)).status).toBe(409);
    expect((await remove(admin!, orgId, owner!.userId)).status).toBe(204);
    expect(await roleOf(orgId, owner!.userId)).toBe(null);
  });

  it("is kept by SQL too: no update or delete, even on the service path, leaves an organization without an owner", async () => {
    const { orgId, users: [owner] = [] } = await orgWith(["owner", "viewer"]);
    await expect(sql()`update public.org_members set role = 'admin' where organization_id = ${orgId} and user_id = ${owner!.userId}`)
      .rejects.toMatchObject({ constraint_name: "org_members_last_owner" });
    await expect(sql()`delete from public.org_members where organization_id = ${orgId}`)
      .rejects.toMatchObject({ constraint_name: "org_members_last_owner" });
    expect(await roleOf(orgId, owner!.userId)).toBe("owner");
    // Deleting the organization removes its members with it.
    await sql()`delete from public.organizations where id = ${orgId}`;
    expect(await roleOf(orgId, owner!.userId)).toBe(null);
  });

  /**
   * As the two owners themselves (role `authenticated`, RLS on), in two transactions: the first
   * demotes the second and stays open; the second, meanwhile, demotes the first. Without the
   * organization lock both would count the other as a remaining owner and both would commit.
   */
  async function crossing(change: (tx: Tx, orgId: string, target: string) => Promise<unknown>) {
    const { orgId, users: [a, b] = [] } = await orgWith(["owner", "owner"]);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let changed!: () => void;
    const firstChanged = new Promise<void>((r) => (changed = r));
    const first = withUser(claimsFor(a!.userId), async (tx) => {
      await change(tx, orgId, b!.userId);
      changed();
      await held;
    });
    await firstChanged;
    const second = withUser(claimsFor(b!.userId), (tx) => change(tx, orgId, a!.userId)).then(() => null, (err: unknown) => err);
    // Let the second reach the trigger and wait on the organization's row before the first commits.
    await new Promise((r) => setTimeout(r, 300));
    release();
    await first;
    expect(await second).toMatchObject({ constraint_name: "org_members_last_owner" });
    const owners = await sql()`select user_id from public.org_members where organization_id = ${orgId} and role = 'owner'`;
    expect(owners.map((o) => o.user_id)).toEqual([a!.userId]);
  }

  it("two owners demoting each other at the same moment leave one owner", async () => {
    await crossing((tx, orgId, target) => tx`update public.org_members set role = 'admin' where organization_id = ${orgId} and user_id = ${target}`);
  });

  it("two owners removing each other at the same moment leave one owner", async () => {
    await crossing((tx, orgId, target) => tx`delete from public.org_members where organization_id = ${orgId} and user_id = ${target}`);
  });

  it("through the API, simultaneous demotions of each other: one succeeds, the other is 409", async () => {
    for (let round = 0; round < 3; round++) {
      const { orgId, users: [a, b] = [] } = await orgWith(["owner", "owner"]);
      const [x, y] = await Promise.all([
        patch(a!, orgId, b!.userId, { role: "admin" }),
        patch(b!, orgId, a!.userId, { role: "admin" }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const owners = await sql()`select user_id from public.org_members where organization_id = ${orgId} and role = 'owner'`;
      expect(owners).toHaveLength(1);
    }
  });
});

describe("removal", () => {
  it("takes effect on the removed member's next request; people may leave themselves", async () => {
    const { orgId, users: [owner, operator, viewer] = [] } = await orgWith(["owner", "operator", "viewer"]);
    expect((await call(operator!.browser, calls.GET, { path: "/api/calls", orgId })).status).toBe(200);
    expect((await remove(owner!, orgId, operator!.userId)).status).toBe(204);
    expect(await roleOf(orgId, operator!.userId)).toBe(null);
    // Same session, next request: the organization is gone for them.
    expect((await call(operator!.browser, calls.GET, { path: "/api/calls", orgId })).status).toBe(404);
    expect((await call(operator!.browser, calls.GET, { path: "/api/calls" })).status).toBe(409);
    // A second removal of the same person is 404.
    expect((await remove(owner!, orgId, operator!.userId)).status).toBe(404);
    // The list no longer shows them.
    const list = await call(owner!.browser, members.GET, { orgId });
    expect((list.body.members as { userId: string }[]).map((m) => m.userId).sort()).toEqual([owner!.userId, viewer!.userId].sort());
  });

  it("an admin may demote or remove themselves", async () => {
    const { orgId, users: [, admin, admin2] = [] } = await orgWith(["owner", "admin", "admin"]);
    expect((await patch(admin!, orgId, admin!.userId, { role: "viewer" })).status).toBe(200);
    expect(await roleOf(orgId, admin!.userId)).toBe("viewer");
    // No longer an admin: the next request is refused.
    expect((await patch(admin!, orgId, admin!.userId, { role: "admin" })).status).toBe(403);
    expect((await remove(admin2!, orgId, admin2!.userId)).status).toBe(204);
    expect(await roleOf(orgId, admin2!.userId)).toBe(null);
  });
});
