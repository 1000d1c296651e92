import type { AddressProofMessage } from "@/lib/mail/types";

/** The address-proof email's subject and plain text, shared by every adapter that writes its own mail. */
export function addressProofText(m: AddressProofMessage): { subject: string; text: string } {
  if (!m.setPasswordUrl) {
    return {
      subject: "Setting a Verbatim password",
      text: [
        "Someone asked for a link to set the password of the Verbatim account that uses this address.",
        "No account uses it, so there is nothing to set.",
        "",
        "If you were invited to an organization, open the invitation's link: it lets you create your account.",
        "If you did not ask, ignore this email: nothing has changed.",
      ].join("\n"),
    };
  }
  return {
    subject: "Set your Verbatim password",
    text: [
      "Someone asked for a link to set the password of the Verbatim account that uses this address.",
      "If that was you, open this link and choose a password:",
      m.setPasswordUrl,
      "",
      "Setting it signs the account out everywhere else: whoever else knew a password for it is locked out.",
      `The link works once and expires on ${new Date(m.expiresAt).toUTCString()}.`,
      "If you did not ask, ignore this email: nothing changes unless the link is opened and a password chosen.",
    ].join("\n"),
  };
}
