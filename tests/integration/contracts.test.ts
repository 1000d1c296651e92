import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { chooseOrgResponseSchema, meResponseSchema, signedInResponseSchema } from "@/lib/auth/contracts";
import { createLocalUser } from "@/lib/auth/local";
import { errorBodySchema } from "@/lib/http/contracts";
import {
  acceptInvitationResponseSchema,
  createInvitationResponseSchema,
  invitationListResponseSchema,
  invitationPreviewSchema,
  memberListResponseSchema,
} from "@/lib/orgs/contracts";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { Browser, call, PASSWORD, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The contracts in lib/orgs/contracts.ts and lib/auth/contracts.ts describe what the routes
 * really answer: each response of the organization and session API, from the real handlers
 * against the migrated database, parses with its schema.
 */
const invitations = await import("@/app/api/invitations/route");
const invitation = await import("@/app/api/invitations/[id]/route");
const accept = await import("@/app/api/invitations/accept/route");
const preview = await import("@/app/api/invitations/preview/route");
const members = await import("@/app/api/members/route");
const me = await import("@/app/api/me/route");
const sessionOrg = await import("@/app/api/session/org/route");
const signIn = await import("@/app/api/auth/sign-in/route");
const signOut = await import("@/app/api/auth/sign-out/route");

let orgId: string;
let owner: Awaited<ReturnType<typeof signedInUser>>;

beforeAll(async () => {
  orgId = await createOrg("pro", "Contracts Org");
  owner = await signedInUser();
  await addMembership(orgId, owner.userId, "owner");
});

const tokenOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

describe("organization and session responses parse with their schemas", () => {
  it("invitations: create, list, preview, accept, revoke", async () => {
    const created = await call(owner.browser, invitations.POST, { method: "POST", body: { email: `${randomUUID().slice(0, 8)}@example.test`, role: "operator" }, orgId });
    expect(created.status).toBe(201);
    const result = createInvitationResponseSchema.parse(created.body);
    expect(result.acceptUrl).toBeDefined();

    const listed = await call(owner.browser, invitations.GET, { orgId });
    expect(listed.status).toBe(200);
    expect(invitationListResponseSchema.parse(listed.body).invitations.map((i) => i.id)).toContain(result.invitation.id);

    const token = tokenOf(result.acceptUrl!);
    const previewed = await call(new Browser(), preview.GET, { path: `/api/invitations/preview?token=${token}` });
    expect(previewed.status).toBe(200);
    expect(invitationPreviewSchema.parse(previewed.body)).toMatchObject({ orgName: "Contracts Org", role: "operator" });

    const accepted = await call(new Browser(), accept.POST, { method: "POST", path: "/api/invitations/accept", body: { token, password: PASSWORD } });
    expect(accepted.status).toBe(200);
    expect(acceptInvitationResponseSchema.parse(accepted.body)).toEqual({ organization: { id: orgId, name: "Contracts Org" }, role: "operator" });

    const another = createInvitationResponseSchema.parse(
      (await call(owner.browser, invitations.POST, { method: "POST", body: { email: `${randomUUID().slice(0, 8)}@example.test`, role: "viewer" }, orgId })).body,
    );
    const revoked = await call(owner.browser, invitation.DELETE, { method: "DELETE", orgId, params: { id: another.invitation.id } });
    expect(revoked.status).toBe(204);

    const gone = await call(owner.browser, invitation.DELETE, { method: "DELETE", orgId, params: { id: another.invitation.id } });
    expect(gone.status).toBe(404);
    expect(errorBodySchema.parse(gone.body).error.code).toBe("not_found");
  });

  it("members", async () => {
    const answer = await call(owner.browser, members.GET, { orgId });
    expect(answer.status).toBe(200);
    expect(memberListResponseSchema.parse(answer.body).members.map((m) => m.userId)).toContain(owner.userId);
  });

  it("me and the active organization", async () => {
    const chosen = await call(owner.browser, sessionOrg.POST, { method: "POST", body: { orgId } });
    expect(chosen.status).toBe(200);
    expect(chooseOrgResponseSchema.parse(chosen.body)).toEqual({ activeOrgId: orgId });

    const answer = await call(owner.browser, me.GET);
    expect(answer.status).toBe(200);
    const body = meResponseSchema.parse(answer.body);
    expect(body.user).toEqual({ id: owner.userId, email: owner.email });
    expect(body.activeOrgId).toBe(orgId);
    expect(body.memberships).toContainEqual(expect.objectContaining({ orgId, orgName: "Contracts Org", role: "owner", plan: "pro" }));
  });

  it("sign-in and sign-out", async () => {
    const email = `${randomUUID().slice(0, 8)}@example.test`;
    const { id } = await createLocalUser(email, PASSWORD);
    const browser = new Browser();
    const signedIn = await call(browser, signIn.POST, { method: "POST", path: "/api/auth/sign-in", body: { email, password: PASSWORD } });
    expect(signedIn.status).toBe(200);
    expect(signedInResponseSchema.parse(signedIn.body)).toEqual({ user: { id, email: email.toLowerCase() } });

    const signedOut = await call(browser, signOut.POST, { method: "POST", path: "/api/auth/sign-out" });
    expect(signedOut.status).toBe(204);
  });
});
