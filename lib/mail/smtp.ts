import "server-only";
import nodemailer from "nodemailer";
import { invitationText } from "@/lib/mail/invitation-text";
import type { InvitationMessage, Mailer } from "@/lib/mail/types";

/** Invitations over SMTP (nodemailer): one transport per process, from SMTP_URL and MAIL_FROM. */
export function smtpMailer({ url, from }: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    kind: "smtp",
    async sendInvitation(message: InvitationMessage) {
      const { subject, text } = invitationText(message);
      await transport.sendMail({ from, to: message.to, subject, text });
      return { delivered: true };
    },
  };
}
