import { createClient } from "@supabase/supabase-js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sessionFromClaims, type Session } from "@/lib/db/claims";
import { resetConfig } from "@/lib/config";
import { createInvitation as inviteAuthorized } from "@/lib/orgs/invitations";
import { authorize } from "@/lib/rbac/authorize";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, claimsFor, createOrg, createUser } from "@/tests/support/fixtures";
import { Browser, call } from "@/tests/support/member-requests";
import { startSupabaseAuthPeer, type SupabaseAuthPeer } from "@/tests/support/supabase-auth-peer";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Supabase mode: invitations go out through Supabase Auth's own email, via supabase-js against
 * the local GoTrue stand-in. A new address gets Supabase's invite; an address that already has
 * an account (Supabase answers 422 email_exists) gets a magic link. The inviter's answer is the
 * same either way, and carries no link: Supabase emailed it.
 */
let peer: SupabaseAuthPeer;

/** What POST /api/invitations does: its wrapper authorizes `members.manage`, then the invitation is made. */
const createInvitation = async (session: Session, orgId: string, input: { email: string; role: Role }) =>
  inviteAuthorized(session, await authorize(session, "members.manage", orgId), input);

beforeAll(async () => {
  peer = await startSupabaseAuthPeer({ publishableKey: "sb_publishable_invites", secretKey: "sb_secret_invites" });
  process.env.NEXT_PUBLIC_SUPABASE_URL = peer.url;
  process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY = peer.publishableKey;
  process.env.SUPABASE_SECRET_KEY = peer.secretKey;
  process.env.PUBLIC_BASE_URL = "https://verbatim.example.com";
  resetConfig();
});

afterAll(async () => {
  await peer?.close();
  for (const name of ["NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY", "PUBLIC_BASE_URL"]) delete process.env[name];
  resetConfig();
});

describe("invitations in Supabase mode", () => {
  it("a new email gets Supabase's invite, an existing one a magic link; the inviter cannot tell which", async () => {
    const org = await createOrg("base", "Supa Org");
    const ownerId = await createUser();
    await addMembership(org, ownerId, "owner");
    const owner = sessionFromClaims(claimsFor(ownerId, "owner@supa.test"));
    const existing = peer.addUser({ email: `existing-${Date.now()}@example.test`, password: "whatever password" });
    const newcomer = `new-${Date.now()}@example.test`;

    const toNew = await createInvitation(owner, org, { email: newcomer, role: "operator" });
    const toExisting = await createInvitation(owner, org, { email: existing.email, role: "operator" });

    // Same shape, no link for the inviter.
    expect(Object.keys(toNew).sort()).toEqual(["invitation"]);
    expect(Object.keys(toExisting).sort()).toEqual(Object.keys(toNew).sort());
    expect(Object.keys(toExisting.invitation).sort()).toEqual(Object.keys(toNew.invitation).sort());

    // What Supabase was asked, and what it sent.
    expect(peer.requestsTo("POST", "/auth/v1/invite").map((r) => r.status)).toEqual([200, 422]);
    expect(peer.requestsTo("POST", "/auth/v1/otp").map((r) => r.status)).toEqual([200]);
    const link = /^https:\/\/verbatim\.example\.com\/invite\/[A-Za-z0-9_-]{43}$/;
    expect(peer.emails).toEqual([
      { kind: "invite", to: newcomer, redirectTo: expect.stringMatching(link) },
      { kind: "magiclink", to: existing.email, redirectTo: expect.stringMatching(link) },
    ]);
    expect(peer.emails[0]!.redirectTo).not.toBe(peer.emails[1]!.redirectTo);
    // The invite created the account at Supabase; the magic link created none.
    expect(peer.findUserByEmail(newcomer)).toBeDefined();
  });

  it("a failure at Supabase is a 502 and leaves no usable invitation", async () => {
    const org = await createOrg("base");
    const ownerId = await createUser();
    await addMembership(org, ownerId, "owner");
    const owner = sessionFromClaims(claimsFor(ownerId));
    peer.injectError({ method: "POST", path: "/auth/v1/invite", status: 500, errorCode: "unexpected_failure", message: "boom" });
    const err = await createInvitation(owner, org, { email: `x-${Date.now()}@example.test`, role: "viewer" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: "mail_failed" });
    const { sql } = await import("@/lib/db/client");
    expect(await sql()`select 1 from public.invitations where organization_id = ${org} and revoked_at is null`).toHaveLength(0);
  });

  it("the invitee arrives from Supabase's email signed in, and accepts as the invited address", async () => {
    const sessionRoute = await import("@/app/api/auth/session/route");
    const accept = await import("@/app/api/invitations/accept/route");
    const me = await import("@/app/api/me/route");
    const org = await createOrg("base", "Supa Join");
    const ownerId = await createUser();
    await addMembership(org, ownerId, "owner");
    const owner = sessionFromClaims(claimsFor(ownerId));
    const email = `arrives-${Date.now()}@example.test`;
    await createInvitation(owner, org, { email, role: "analyst" });
    const sent = peer.emails.findLast((e) => e.to === email)!;
    const token = sent.redirectTo!.split("/").pop()!;

    // What Supabase's /verify puts in the fragment after the invitee clicks the email's link.
    const invitee = peer.findUserByEmail(email)!;
    const fragment = await peer.sessionFor(invitee);
    const browser = new Browser();
    const forged = await call(browser, sessionRoute.POST, {
      method: "POST",
      body: { accessToken: await peer.signAccessToken({ sub: invitee.id, email }, { key: "foreign-same-kid" }), refreshToken: "nope" },
    });
    expect(forged.status).toBe(401);
    expect(browser.cookies.size).toBe(0);
    const adopted = await call(browser, sessionRoute.POST, {
      method: "POST",
      body: { accessToken: fragment.access_token, refreshToken: fragment.refresh_token },
    });
    expect(adopted.status).toBe(200);
    expect(adopted.body).toMatchObject({ user: { id: invitee.id, email } });

    const joined = await call(browser, accept.POST, { method: "POST", body: { token } });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({ organization: { id: org, name: "Supa Join" }, role: "analyst" });
    expect((await call(browser, me.GET)).body).toMatchObject({ activeOrgId: org, memberships: [expect.objectContaining({ orgId: org, role: "analyst" })] });

    // Someone else signed in through Supabase cannot use it.
    const other = peer.addUser({ email: `other-${Date.now()}@example.test`, password: "x" });
    const otherTokens = await peer.sessionFor(other);
    const otherBrowser = new Browser();
    await call(otherBrowser, sessionRoute.POST, { method: "POST", body: { accessToken: otherTokens.access_token, refreshToken: otherTokens.refresh_token } });
    const second = await createInvitation(owner, org, { email: `third-${Date.now()}@example.test`, role: "viewer" });
    expect(second).not.toHaveProperty("acceptUrl");
    const thirdToken = peer.emails.at(-1)!.redirectTo!.split("/").pop()!;
    const refused = await call(otherBrowser, accept.POST, { method: "POST", body: { token: thirdToken } });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("invitation_email_mismatch");
  });
});

describe("an account someone else signed up for the invited address (Supabase mode)", () => {
  afterEach(() => {
    Object.assign(peer.settings, { disable_signup: false, mailer_autoconfirm: false });
  });

  async function owned(name: string) {
    const org = await createOrg("base", name);
    const ownerId = await createUser();
    await addMembership(org, ownerId, "owner");
    return { org, owner: sessionFromClaims(claimsFor(ownerId)) };
  }

  /** What anyone can do with the project's public key: sign up with any address and a password. */
  const signUp = (email: string, password: string) =>
    createClient(peer.url, peer.publishableKey, { auth: { persistSession: false, autoRefreshToken: false } }).auth.signUp({ email, password });

  it("a password set at a sign-up nobody confirmed does not open the account once the invitation confirms it", async () => {
    const { org, owner } = await owned("Signed Up For");
    const email = `prehijacked-${Date.now()}@example.test`;
    const squatted = await signUp(email, "the squatter's password");
    expect(squatted.error).toBeNull();
    expect(squatted.data.session).toBeNull();

    await createInvitation(owner, org, { email, role: "admin" });
    // Supabase invited the unconfirmed account again (it would keep the squatter's password).
    expect(peer.emails.findLast((e) => e.to === email)).toMatchObject({ kind: "invite" });
    const token = peer.emails.findLast((e) => e.to === email)!.redirectTo!.split("/").pop()!;

    // The owner of the address opens the invitation's link: confirmed, signed in, and joins.
    const sessionRoute = await import("@/app/api/auth/session/route");
    const accept = await import("@/app/api/invitations/accept/route");
    const invitee = peer.findUserByEmail(email)!;
    const fragment = await peer.sessionFor(invitee);
    const browser = new Browser();
    await call(browser, sessionRoute.POST, { method: "POST", body: { accessToken: fragment.access_token, refreshToken: fragment.refresh_token } });
    expect((await call(browser, accept.POST, { method: "POST", body: { token } })).status).toBe(200);

    // The squatter's password no longer signs in to the now confirmed account.
    const squatter = createClient(peer.url, peer.publishableKey, { auth: { persistSession: false, autoRefreshToken: false } });
    const attempt = await squatter.auth.signInWithPassword({ email, password: "the squatter's password" });
    expect(attempt.error?.code).toBe("invalid_credentials");
  });

  it("refuses to invite while anyone may sign up and Supabase confirms no address; either setting fixed, it invites", async () => {
    const { org, owner } = await owned("Unconfirmed Project");
    const { sql } = await import("@/lib/db/client");
    peer.settings.mailer_autoconfirm = true;
    const sent = peer.emails.length;
    const err = await createInvitation(owner, org, { email: `any-${Date.now()}@example.test`, role: "viewer" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: "auth_settings_unsafe", message: expect.stringMatching(/Confirm email/) });
    expect(peer.emails.length).toBe(sent);
    expect(await sql()`select 1 from public.invitations where organization_id = ${org}`).toHaveLength(0);

    peer.settings.disable_signup = true;
    await expect(createInvitation(owner, org, { email: `closed-${Date.now()}@example.test`, role: "viewer" })).resolves.toHaveProperty("invitation");
    Object.assign(peer.settings, { disable_signup: false, mailer_autoconfirm: false });
    await expect(createInvitation(owner, org, { email: `confirmed-${Date.now()}@example.test`, role: "viewer" })).resolves.toHaveProperty("invitation");
  });
});
