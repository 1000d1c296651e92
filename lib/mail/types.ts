import type { Role } from "@/lib/rbac/policy";

/** What an invitation email says. `acceptUrl` carries the token: never log it. */
export interface InvitationMessage {
  to: string;
  orgName: string;
  role: Role;
  inviterEmail: string | undefined;
  acceptUrl: string;
  expiresAt: string;
}

/**
 * The mail port. `delivered: false` means nothing was sent and the inviter must pass the link
 * on themselves (the embedded default without SMTP). Adapters answer the same way whether or
 * not the address has an account: the inviter must not learn that from us.
 */
export interface Mailer {
  readonly kind: "smtp" | "supabase" | "link";
  sendInvitation(message: InvitationMessage): Promise<{ delivered: boolean }>;
}
