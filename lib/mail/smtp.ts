import "server-only";
import nodemailer from "nodemailer";
import { addressProofText } from "@/lib/mail/address-proof-text";
import { invitationText } from "@/lib/mail/invitation-text";
import type { AddressProofMessage, InvitationMessage, Mailer } from "@/lib/mail/types";

/** Mail over SMTP (nodemailer): one transport per process, from SMTP_URL and MAIL_FROM. */
export function smtpMailer({ url, from }: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    kind: "smtp",
    async sendInvitation(message: InvitationMessage) {
      const { subject, text } = invitationText(message);
      await transport.sendMail({ from, to: message.to, subject, text });
      return { delivered: true };
    },
    async sendAddressProof(message: AddressProofMessage) {
      const { subject, text } = addressProofText(message);
      await transport.sendMail({ from, to: message.to, subject, text });
    },
  };
}
