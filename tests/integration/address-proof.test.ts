import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resetConfig } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { hashLinkToken } from "@/lib/link-token";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { Browser, call, PASSWORD, signedInUser, type Answer } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The embedded default without SMTP shows an invitation's link to the inviter, who could create
 * the invitee's account with a password of their own choosing (issue 17 §6). The owner of the
 * address must always be able to take it back: a link sent to the address (here, the outbox)
 * proves it and lets them set the password, which ends every session of the account; what the
 * account had joined before anyone proved the address is offered to them again, not kept.
 * Through the real route handlers, as real local sessions, on the migrated database.
 */
const invitations = await import("@/app/api/invitations/route");
const accept = await import("@/app/api/invitations/accept/route");
const preview = await import("@/app/api/invitations/preview/route");
const members = await import("@/app/api/members/route");
const activity = await import("@/app/api/activity/route");
const me = await import("@/app/api/me/route");
const signIn = await import("@/app/api/auth/sign-in/route");
const askProof = await import("@/app/api/auth/address-proof/route");
const confirmProof = await import("@/app/api/auth/address-proof/confirm/route");

let outbox: string;

beforeAll(async () => {
  outbox = await mkdtemp(path.join(tmpdir(), "verbatim-outbox-"));
  process.env.MAIL_OUTBOX_DIR = outbox;
  resetConfig();
});

afterAll(async () => {
  delete process.env.MAIL_OUTBOX_DIR;
  resetConfig();
  await rm(outbox, { recursive: true, force: true });
});

type User = Awaited<ReturnType<typeof signedInUser>>;

let clientCounter = 0;
/** Each request from its own client address unless one is named: the limits count per address. */
const fromAddress = (ip = `203.0.113.${(clientCounter += 1) % 250}`) => ({ "x-verbatim-client-ip": ip });

const invite = (who: User, orgId: string, email: string, role: Role = "operator") =>
  call(who.browser, invitations.POST, { method: "POST", body: { email, role }, orgId });

const tokenOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

const acceptAs = (browser: Browser, body: Record<string, unknown>) =>
  call(browser, accept.POST, { method: "POST", path: "/api/invitations/accept", body, headers: fromAddress() });

const askFor = (email: string, ip?: string) =>
  call(new Browser(), askProof.POST, { method: "POST", path: "/api/auth/address-proof", body: { email }, headers: fromAddress(ip) });

const confirm = (browser: Browser, token: string, password: string) =>
  call(browser, confirmProof.POST, { method: "POST", path: "/api/auth/address-proof/confirm", body: { token, password }, headers: fromAddress() });

const signInAs = (browser: Browser, email: string, password: string) =>
  call(browser, signIn.POST, { method: "POST", path: "/api/auth/sign-in", body: { email, password }, headers: fromAddress() });

/** The outbox's messages to an address, oldest first: headers and body as written. */
async function messagesTo(address: string): Promise<string[]> {
  const names = (await readdir(outbox)).filter((n) => n.endsWith(".eml")).sort();
  const texts = await Promise.all(names.map((n) => readFile(path.join(outbox, n), "utf8")));
  return texts.filter((t) => new RegExp(`^To: ${address.replace(/[.+]/g, "\\$&")}\\r?$`, "m").test(t));
}

const PROOF_LINK = /http:\/\/127\.0\.0\.1:3000\/password\/([A-Za-z0-9_-]{43})/;

/** Ask for a proof of `email` and read the token out of the message it wrote. */
async function proofToken(email: string): Promise<string> {
  const before = (await messagesTo(email)).length;
  const asked = await askFor(email);
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  const messages = await messagesTo(email);
  expect(messages).toHaveLength(before + 1);
  const link = PROOF_LINK.exec(messages.at(-1)!);
  expect(link, messages.at(-1)).not.toBeNull();
  return link![1]!;
}

async function accountOf(email: string) {
  const [row] = await sql()<{ id: string; proven: boolean }[]>`
    select id, email_confirmed_at is not null as proven from auth.users where email = ${email}`;
  return row;
}

async function membershipsOf(userId: string) {
  return sql()<{ organization_id: string; role: string }[]>`
    select organization_id, role::text as role from public.org_members where user_id = ${userId} order by organization_id`;
}

const sessionsOf = async (userId: string) =>
  (await sql()<{ n: number }[]>`select count(*)::int as n from auth.sessions where user_id = ${userId}`)[0]!.n;

describe("an inviter who created the invitee's account from the link cannot keep it", () => {
  it("the owner of the address proves it and takes the account back; the inviter's sessions end; they then join elsewhere", async () => {
    const acme = await createOrg("base", "Inviter's Org");
    const elsewhere = await createOrg("base", "Elsewhere");
    const mallory = await signedInUser();
    const carol = await signedInUser();
    await addMembership(acme, mallory.userId, "owner");
    await addMembership(elsewhere, carol.userId, "owner");
    const victim = `victim-${Date.now()}@example.test`;

    // The inviter is shown the link, opens it and creates the account with a password they chose.
    const invited = await invite(mallory, acme, victim, "admin");
    expect(invited.status).toBe(201);
    const asVictim = new Browser();
    const created = await acceptAs(asVictim, { token: tokenOf(invited.body.acceptUrl as string), password: "mallory's own password" });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const account = (await accountOf(victim))!;
    expect(account.proven).toBe(false);
    expect((await call(asVictim, me.GET)).body).toMatchObject({ user: { email: victim }, activeOrgId: acme });

    // The address's real owner is invited elsewhere, and cannot get in: the account is taken.
    const elsewhereInvite = await invite(carol, elsewhere, victim, "analyst");
    const elsewhereToken = tokenOf(elsewhereInvite.body.acceptUrl as string);
    const lockedOut = await acceptAs(new Browser(), { token: elsewhereToken, password: "the owner's own password" });
    expect(lockedOut.status).toBe(401);

    // A link sent to the address proves it; its holder sets the password.
    const owner = new Browser();
    const proven = await confirm(owner, await proofToken(victim), "the owner's own password");
    expect(proven.status, JSON.stringify(proven.body)).toBe(200);
    expect(proven.body).toMatchObject({ user: { id: account.id, email: victim }, kept: [] });
    // What the inviter joined in the owner's name is not the owner's until they accept it.
    const offered = proven.body.offeredAgain as { orgName: string; role: string; acceptUrl: string }[];
    expect(offered).toEqual([expect.objectContaining({ orgName: "Inviter's Org", role: "admin" })]);
    expect(await membershipsOf(account.id)).toEqual([]);
    expect((await accountOf(victim))!.proven).toBe(true);

    // Every session the inviter had is over, and their password no longer works.
    expect((await call(asVictim, me.GET)).status).toBe(401);
    expect((await signInAs(new Browser(), victim, "mallory's own password")).status).toBe(401);
    expect(await sessionsOf(account.id)).toBe(1);
    // The owner is signed in with the password they chose, in no organization yet.
    expect((await call(owner, me.GET)).body).toMatchObject({ user: { id: account.id, email: victim }, memberships: [], activeOrgId: null });
    expect((await signInAs(new Browser(), victim, "the owner's own password")).status).toBe(200);

    // The inviter's organization sees the membership end, and the invitation made again.
    const list = (await call(mallory.browser, members.GET, { orgId: acme })).body.members as { userId: string }[];
    expect(list.map((m) => m.userId)).not.toContain(account.id);
    const feed = (await call(mallory.browser, activity.GET, { path: "/api/activity", orgId: acme })).body.events as { kind: string; summary: string }[];
    expect(feed.map((e) => e.summary)).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^${victim.replace(/[.+]/g, "\\$&")} was no longer a member once the address's owner proved it`)),
      `${victim} was invited again as an admin, for the address's proven owner to accept`,
    ]));
    // The offer is a real invitation the owner may take up, or ignore.
    const offeredToken = tokenOf(offered[0]!.acceptUrl);
    expect((await call(owner, preview.GET, { path: `/api/invitations/preview?token=${offeredToken}` })).body).toMatchObject({ orgName: "Inviter's Org", role: "admin" });

    // The invitation from elsewhere is theirs to accept now.
    const joined = await acceptAs(owner, { token: elsewhereToken });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({ organization: { id: elsewhere, name: "Elsewhere" }, role: "analyst" });
    expect(await membershipsOf(account.id)).toEqual([{ organization_id: elsewhere, role: "analyst" }]);
  });

  it("an organization's last owner is kept, and said so; the rest is offered again", async () => {
    const solo = await createOrg("base", "Left To Them");
    const shared = await createOrg("base", "Shared");
    const founder = await signedInUser();
    const sharedOwner = await signedInUser();
    await addMembership(solo, founder.userId, "owner");
    await addMembership(shared, sharedOwner.userId, "owner");
    const address = `heir-${Date.now()}@example.test`;
    const first = await invite(founder, solo, address, "owner");
    const holder = new Browser();
    expect((await acceptAs(holder, { token: tokenOf(first.body.acceptUrl as string), password: "whoever held it" })).status).toBe(200);
    const second = await invite(sharedOwner, shared, address, "viewer");
    expect((await acceptAs(holder, { token: tokenOf(second.body.acceptUrl as string) })).status).toBe(200);
    // The founder leaves the organization to the invited address.
    await sql()`delete from public.org_members where organization_id = ${solo} and user_id = ${founder.userId}`;

    const proven = await confirm(new Browser(), await proofToken(address), "the real owner's password");
    expect(proven.status, JSON.stringify(proven.body)).toBe(200);
    expect(proven.body.kept).toEqual([{ orgName: "Left To Them", role: "owner" }]);
    expect((proven.body.offeredAgain as { orgName: string }[]).map((o) => o.orgName)).toEqual(["Shared"]);
    const { id } = (await accountOf(address))!;
    expect(await membershipsOf(id)).toEqual([{ organization_id: solo, role: "owner" }]);
  });
});

describe("links that cannot be used are refused and change nothing", () => {
  it("forged, malformed, expired, used and superseded links", async () => {
    const org = await createOrg("base");
    const dana = await signedInUser();
    await addMembership(org, dana.userId, "operator");
    const earlier = await proofToken(dana.email);
    const token = await proofToken(dana.email);
    const passwordBefore = (await sql()`select encrypted_password from auth.users where id = ${dana.userId}`)[0]!.encrypted_password;

    const expectRefused = async (answer: Answer, status: number, code: string) => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(answer.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
      expect((await sql()`select encrypted_password from auth.users where id = ${dana.userId}`)[0]!.encrypted_password).toBe(passwordBefore);
      expect((await call(dana.browser, me.GET)).status).toBe(200);
    };
    // Forged: well formed, but no proof has that token; or not even well formed.
    await expectRefused(await confirm(new Browser(), "A".repeat(43), "a new password for dana"), 404, "not_found");
    await expectRefused(await confirm(new Browser(), "nope", "a new password for dana"), 404, "not_found");
    await expectRefused(await confirm(new Browser(), `${token.slice(0, 42)}${token.endsWith("A") ? "B" : "A"}`, "a new password for dana"), 404, "not_found");
    // Too short a password is refused before anything is looked at.
    expect((await confirm(new Browser(), token, "short")).status).toBe(400);
    // Expired.
    await sql()`update private.address_proofs set expires_at = now() - interval '1 second' where token_hash = ${hashLinkToken(earlier)}`;
    await expectRefused(await confirm(new Browser(), earlier, "a new password for dana"), 410, "proof_expired");

    // Used once: a proven account keeps its memberships (a forgotten password, not a takeover),
    // and its other sessions end all the same.
    const third = await proofToken(dana.email);
    const used = await confirm(new Browser(), token, "a new password for dana");
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    expect(used.body).toMatchObject({ offeredAgain: [], kept: [] });
    expect(await membershipsOf(dana.userId)).toEqual([{ organization_id: org, role: "operator" }]);
    expect((await call(dana.browser, me.GET)).status).toBe(401);
    // Used again, or another link sent before it was used: refused.
    expect((await confirm(new Browser(), token, "yet another password")).body.error?.code).toBe("proof_used");
    expect((await confirm(new Browser(), third, "yet another password")).body.error?.code).toBe("proof_used");
    expect((await signInAs(new Browser(), dana.email, "a new password for dana")).status).toBe(200);
  });
});

describe("a link works once, even when used twice at the same moment", () => {
  it("one of two simultaneous uses sets the password; the other is refused", async () => {
    const gina = await signedInUser();
    const token = await proofToken(gina.email);
    const answers = await Promise.all([
      confirm(new Browser(), token, "first of two passwords"),
      confirm(new Browser(), token, "second of two passwords"),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410]);
    const winner = answers[0]!.status === 200 ? "first of two passwords" : "second of two passwords";
    expect((await signInAs(new Browser(), gina.email, winner)).status).toBe(200);
  });
});

describe("asking never reveals whether an account uses the address", () => {
  it("the same status and body for a known and an unknown address, and one message to each", async () => {
    const erin = await signedInUser();
    const unknown = `nobody-${Date.now()}@example.test`;
    const known = await askFor(erin.email);
    const stranger = await askFor(unknown);
    expect(known.status).toBe(202);
    expect(stranger.status).toBe(known.status);
    expect(Object.keys(stranger.body)).toEqual(Object.keys(known.body));
    expect((stranger.body.message as string).replace(unknown, "<address>")).toBe((known.body.message as string).replace(erin.email, "<address>"));
    expect(known.body.message).toMatch(/outbox/);

    // The owner of each address reads what happened; only an account's address gets a link.
    const [toKnown] = await messagesTo(erin.email);
    const [toStranger] = await messagesTo(unknown);
    expect(toKnown).toMatch(PROOF_LINK);
    expect(toStranger).toBeDefined();
    expect(toStranger).not.toMatch(/\/password\//);
    expect(toStranger).toMatch(/No account uses it/);
    // The same work behind both: one proof recorded each.
    const rows = await sql()<{ email: string; forAccount: boolean }[]>`
      select email, user_id is not null as "forAccount" from private.address_proofs where email in (${erin.email}, ${unknown}) order by email = ${unknown}`;
    expect(rows).toEqual([{ email: erin.email, forAccount: true }, { email: unknown, forAccount: false }]);
  });

  it("is limited per address and client like sign-in, the same way for an unknown address", async () => {
    const frank = await signedInUser();
    const unknown = `limit-${Date.now()}@example.test`;
    for (const email of [frank.email, unknown]) {
      for (let i = 0; i < 5; i++) expect((await askFor(email, "198.18.0.1")).status, `${email} #${i + 1}`).toBe(202);
      const refused = await askFor(email, "198.18.0.1");
      expect(refused.status, email).toBe(429);
      expect(refused.body.error).toMatchObject({ code: "rate_limited", retryAfterSeconds: expect.any(Number) });
      expect(refused.body.error?.message).toMatch(/Try again in \d+ minutes/);
    }
    // From another client the owner still gets a link, up to the address's own hourly limit.
    for (let i = 0; i < 4; i++) expect((await askFor(frank.email)).status).toBe(202);
    expect((await askFor(frank.email)).status).toBe(429);
    // Bad input is a 400 whatever the address.
    expect((await askFor("not an email")).status).toBe(400);
  });
});

describe("with Supabase Auth there are no local accounts to prove", () => {
  it("answers 404", async () => {
    const env = {
      NEXT_PUBLIC_SUPABASE_URL: "https://project.supabase.co",
      NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_x",
      SUPABASE_SECRET_KEY: "sb_secret_x",
    };
    Object.assign(process.env, env);
    resetConfig();
    try {
      expect((await askFor("someone@example.test")).status).toBe(404);
      expect((await confirm(new Browser(), "A".repeat(43), PASSWORD)).status).toBe(404);
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
      resetConfig();
    }
  });
});
