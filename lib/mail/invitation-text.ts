import type { InvitationMessage } from "@/lib/mail/types";

/** The invitation email's subject and plain text, shared by every adapter that writes its own mail. */
export function invitationText(m: InvitationMessage): { subject: string; text: string } {
  const by = m.inviterEmail ? `${m.inviterEmail} invited you` : "You are invited";
  return {
    subject: `Join ${m.orgName} on Verbatim`,
    text: [
      `${by} to join ${m.orgName} on Verbatim as ${m.role}.`,
      "",
      "Open this link to accept:",
      m.acceptUrl,
      "",
      `The link works once and expires on ${new Date(m.expiresAt).toUTCString()}.`,
      "If you did not expect this invitation, ignore this email: nothing happens unless you accept.",
    ].join("\n"),
  };
}
