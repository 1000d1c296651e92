import "server-only";
import { createClient, isAuthApiError } from "@supabase/supabase-js";
import type { InvitationMessage, Mailer } from "@/lib/mail/types";

/**
 * Invitations through Supabase Auth's own email. A new address gets Supabase's invite email
 * (`inviteUserByEmail`), which creates the account and signs the person in on the way to the
 * accept page; an address that already has an account (Supabase answers `email_exists`) gets a
 * magic link to the same page instead (`signInWithOtp`, never creating a user). Either way the
 * inviter's answer is the same.
 */
export function supabaseMailer({ url, secretKey }: { url: string; secretKey: string }): Mailer {
  const client = createClient(url, secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  return {
    kind: "supabase",
    async sendInvitation({ to, acceptUrl }: InvitationMessage) {
      const invited = await client.auth.admin.inviteUserByEmail(to, { redirectTo: acceptUrl });
      if (!invited.error) return { delivered: true };
      if (!(isAuthApiError(invited.error) && invited.error.code === "email_exists")) throw invited.error;
      const link = await client.auth.signInWithOtp({
        email: to,
        options: { shouldCreateUser: false, emailRedirectTo: acceptUrl },
      });
      if (link.error) throw link.error;
      return { delivered: true };
    },
    async sendAddressProof() {
      // Address proofs are for local accounts; Supabase Auth proves its accounts' addresses itself.
      throw new Error("Supabase mode sends no address proofs: Supabase Auth owns its accounts.");
    },
  };
}
