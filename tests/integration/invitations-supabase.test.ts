import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionFromClaims } from "@/lib/auth/claims";
import { resetConfig } from "@/lib/config";
import { createInvitation } from "@/lib/orgs/invitations";
import { addMembership, claimsFor, createOrg, createUser } from "@/tests/support/fixtures";
import { startSupabaseAuthPeer, type SupabaseAuthPeer } from "@/tests/support/supabase-auth-peer";

/**
 * Supabase mode: invitations go out through Supabase Auth's own email, via supabase-js against
 * the local GoTrue stand-in. A new address gets Supabase's invite; an address that already has
 * an account (Supabase answers 422 email_exists) gets a magic link. The inviter's answer is the
 * same either way, and carries no link: Supabase emailed it.
 */
let peer: SupabaseAuthPeer;

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
});
