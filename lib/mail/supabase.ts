import "server-only";
import { randomBytes } from "node:crypto";
import { createClient, isAuthApiError } from "@supabase/supabase-js";
import type { InvitationMessage, Mailer } from "@/lib/mail/types";

/**
 * Invitations through Supabase Auth's own email. A new address gets Supabase's invite email
 * (`inviteUserByEmail`), which creates the account and signs the person in on the way to the
 * accept page; so does an address whose account nobody has confirmed, whose password is then
 * replaced; an address with a confirmed account (Supabase answers `email_exists`) gets a magic
 * link to the same page instead (`signInWithOtp`, never creating a user). Either way the
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
      if (!invited.error) {
        // Supabase invites a new address, or one whose account nobody has confirmed: a public
        // sign-up, whose password Supabase keeps when the invitation's link confirms the account.
        // Whoever signed up is not shown to be the address's owner, so that password must not
        // open the account the owner is about to confirm: replace it with one nobody knows. The
        // invitee arrives signed in by the link, as a new invitee does (docs/adr/0027).
        const reset = await client.auth.admin.updateUserById(invited.data.user.id, { password: randomBytes(32).toString("base64url") });
        if (reset.error) throw reset.error;
        return { delivered: true };
      }
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
