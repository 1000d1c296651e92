import "server-only";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { logger } from "@/lib/logger";
import { addressProofText } from "@/lib/mail/address-proof-text";
import type { AddressProofMessage, Mailer } from "@/lib/mail/types";

/**
 * The embedded default without SMTP: nothing leaves the machine. Invitations are not sent (the
 * inviter is given the link to pass on); a message that must reach the address itself, whose link
 * is a proof that someone reads that address's mail, is written as a file to the outbox directory
 * instead, readable only by the user running the server. The log names the file, never the link.
 * Whoever runs the server therefore holds every such link: without a mail server nothing proves
 * who reads an address (README, docs/adr/0027).
 */
export function outboxMailer({ dir }: { dir: string }): Mailer {
  return {
    kind: "link",
    sendInvitation: async () => ({ delivered: false }),
    async sendAddressProof(message: AddressProofMessage) {
      const { subject, text } = addressProofText(message);
      const file = await writeToOutbox(dir, { to: message.to, subject, text });
      logger().info({ file }, "no SMTP configured: the message for the address was written to the outbox");
    },
  };
}

/** One message as an RFC 5322 text file (`<time>-<random>.eml`, so names sort by time). */
async function writeToOutbox(dir: string, { to, subject, text }: { to: string; subject: string; text: string }): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const name = `${now.toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}.eml`;
  const file = path.join(dir, name);
  const headers = [`From: Verbatim <no-reply@localhost>`, `To: ${to}`, `Subject: ${subject}`, `Date: ${now.toUTCString()}`, "Content-Type: text/plain; charset=utf-8"];
  await writeFile(file, `${headers.join("\r\n")}\r\n\r\n${text.replace(/\n/g, "\r\n")}\r\n`, { mode: 0o600, flag: "wx" });
  return file;
}
