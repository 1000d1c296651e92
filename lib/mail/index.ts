import "server-only";
import { config, ConfigError } from "@/lib/config";
import { outboxMailer } from "@/lib/mail/outbox";
import { smtpMailer } from "@/lib/mail/smtp";
import { supabaseMailer } from "@/lib/mail/supabase";
import type { Mailer } from "@/lib/mail/types";

export type { AddressProofMessage, InvitationMessage, Mailer } from "@/lib/mail/types";

const globalForMail = globalThis as unknown as { verbatimMailer?: { key: string; mailer: Mailer } };

/** The adapter for this deployment, chosen once from the config. */
export function mailer(): Mailer {
  const cfg = config();
  const key = JSON.stringify(cfg.mail);
  if (globalForMail.verbatimMailer?.key !== key) {
    const mail = cfg.mail;
    let chosen: Mailer;
    if (mail.kind === "smtp") chosen = smtpMailer(mail);
    else if (mail.kind === "link") chosen = outboxMailer({ dir: mail.outboxDir });
    else if (cfg.supabase) chosen = supabaseMailer({ url: cfg.supabase.url, secretKey: cfg.supabase.secretKey });
    else throw new ConfigError("Mail through Supabase Auth needs the Supabase configuration.");
    globalForMail.verbatimMailer = { key, mailer: chosen };
  }
  return globalForMail.verbatimMailer.mailer;
}
