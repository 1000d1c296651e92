import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resetConfig } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { Browser, call, signedInUser } from "@/tests/support/member-requests";
import { startSmtpListener, type SmtpListener } from "@/tests/support/smtp-listener";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * With SMTP_URL and MAIL_FROM set, invitations are emailed through nodemailer over a real TCP
 * connection to a local SMTP listener; the inviter's answer then carries no link. So do address
 * proofs (docs/adr/0027): the link to set a password goes to the address, nowhere else.
 */

/** Quoted-printable may fold long lines: unfold before looking for a link. */
const unfolded = (data: string) => data.replace(/=\r\n/g, "").replace(/=3D/g, "=");
let smtp: SmtpListener;

beforeAll(async () => {
  smtp = await startSmtpListener();
  process.env.SMTP_URL = smtp.url;
  process.env.MAIL_FROM = "Verbatim <no-reply@verbatim.test>";
  process.env.PUBLIC_BASE_URL = "https://verbatim.example.com";
  resetConfig();
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  delete process.env.MAIL_FROM;
  delete process.env.PUBLIC_BASE_URL;
  resetConfig();
  await smtp?.close();
});

describe("invitations over SMTP", () => {
  it("delivers a message holding the accept link, which the invitee then uses", async () => {
    const invitations = await import("@/app/api/invitations/route");
    const accept = await import("@/app/api/invitations/accept/route");
    const org = await createOrg("base", "Mailed Org");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const invitee = await signedInUser();

    const answer = await call(owner.browser, invitations.POST, { method: "POST", body: { email: invitee.email, role: "viewer" }, orgId: org });
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body)).toEqual(["invitation"]);

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail!.from).toBe("no-reply@verbatim.test");
    expect(mail!.to).toEqual([invitee.email]);
    expect(mail!.data).toMatch(/^Subject: Join Mailed Org on Verbatim$/m);
    const body = unfolded(mail!.data);
    const link = /https:\/\/verbatim\.example\.com\/invite\/([A-Za-z0-9_-]{43})/.exec(body);
    expect(link, body).not.toBeNull();

    const joined = await call(invitee.browser, accept.POST, { method: "POST", body: { token: link![1] } });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ organization: { id: org, name: "Mailed Org" }, role: "viewer" });
  });

  it("a known and an unknown address get the same answer and each a message", async () => {
    const invitations = await import("@/app/api/invitations/route");
    const org = await createOrg("base");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const known = await signedInUser();
    const before = smtp.messages.length;
    const a = await call(owner.browser, invitations.POST, { method: "POST", body: { email: known.email, role: "viewer" }, orgId: org });
    const b = await call(owner.browser, invitations.POST, { method: "POST", body: { email: `unknown-${Date.now()}@example.test`, role: "viewer" }, orgId: org });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(Object.keys(b.body.invitation as object).sort()).toEqual(Object.keys(a.body.invitation as object).sort());
    expect(Object.keys(b.body)).toEqual(Object.keys(a.body));
    expect(smtp.messages.length).toBe(before + 2);
  });

  it("an account made from a mailed link has a proven address: when its owner sets a new password, it keeps what it joined", async () => {
    const invitations = await import("@/app/api/invitations/route");
    const accept = await import("@/app/api/invitations/accept/route");
    const askProof = await import("@/app/api/auth/address-proof/route");
    const confirmProof = await import("@/app/api/auth/address-proof/confirm/route");
    const me = await import("@/app/api/me/route");
    const org = await createOrg("base", "Mailed Join");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const email = `mailed-${Date.now()}@example.test`;

    await call(owner.browser, invitations.POST, { method: "POST", body: { email, role: "operator" }, orgId: org });
    const invite = /\/invite\/([A-Za-z0-9_-]{43})/.exec(unfolded(smtp.messages.at(-1)!.data))!;
    const first = new Browser();
    expect((await call(first, accept.POST, { method: "POST", body: { token: invite[1], password: "chosen from the mailed link" } })).status).toBe(200);
    const [account] = await sql()<{ id: string; proven: boolean }[]>`select id, email_confirmed_at is not null as proven from auth.users where email = ${email}`;
    expect(account!.proven).toBe(true);

    // Forgot the password: the link to set it is mailed to the address, and only there.
    const asked = await call(new Browser(), askProof.POST, { method: "POST", body: { email } });
    expect(asked.status).toBe(202);
    expect(asked.body.message).toMatch(/^We sent a message to /);
    expect(asked.body).not.toHaveProperty("setPasswordUrl");
    const mail = smtp.messages.at(-1)!;
    expect(mail.to).toEqual([email]);
    expect(mail.data).toMatch(/^Subject: Set your Verbatim password$/m);
    const link = /https:\/\/verbatim\.example\.com\/password\/([A-Za-z0-9_-]{43})/.exec(unfolded(mail.data));
    expect(link, mail.data).not.toBeNull();

    const again = new Browser();
    const proven = await call(again, confirmProof.POST, { method: "POST", body: { token: link![1], password: "a brand new password" } });
    expect(proven.status, JSON.stringify(proven.body)).toBe(200);
    expect(proven.body).toMatchObject({ offeredAgain: [], kept: [] });
    expect((await call(again, me.GET)).body).toMatchObject({ activeOrgId: org, memberships: [expect.objectContaining({ orgId: org, role: "operator" })] });
    expect((await call(first, me.GET)).status).toBe(401);
  });
});
