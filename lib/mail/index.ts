import "server-only";
import { config } from "@/lib/config";
import { smtpMailer } from "@/lib/mail/smtp";
import { supabaseMailer } from "@/lib/mail/supabase";
import type { Mailer } from "@/lib/mail/types";

export type { InvitationMessage, Mailer } from "@/lib/mail/types";

/** Nothing is sent: the inviter is given the link (embedded default without SMTP). */
const linkMailer: Mailer = { kind: "link", sendInvitation: async () => ({ delivered: false }) };

const globalForMail = globalThis as unknown as { verbatimMailer?: { key: string; mailer: Mailer } };

/** The adapter for this deployment, chosen once from the config. */
export function mailer(): Mailer {
  const cfg = config();
  const key = JSON.stringify(cfg.mail);
  if (globalForMail.verbatimMailer?.key !== key) {
    const mail = cfg.mail;
    const chosen =
      mail.kind === "smtp"
        ? smtpMailer(mail)
        : mail.kind === "supabase" && cfg.supabase
          ? supabaseMailer({ url: cfg.supabase.url, secretKey: cfg.supabase.secretKey })
          : linkMailer;
    globalForMail.verbatimMailer = { key, mailer: chosen };
  }
  return globalForMail.verbatimMailer.mailer;
}
