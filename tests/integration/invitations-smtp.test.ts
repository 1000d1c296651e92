import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resetConfig } from "@/lib/config";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser } from "@/tests/support/member-requests";
import { startSmtpListener, type SmtpListener } from "@/tests/support/smtp-listener";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * With SMTP_URL and MAIL_FROM set, invitations are emailed through nodemailer over a real TCP
 * connection to a local SMTP listener; the inviter's answer then carries no link.
 */
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
    // Quoted-printable may fold long lines: unfold before looking for the link.
    const body = mail!.data.replace(/=\r\n/g, "").replace(/=3D/g, "=");
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
});
