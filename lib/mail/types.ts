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
 * What a message proving an address says (docs/adr/0027): the link that lets whoever reads the
 * address's mail set the password of the account that uses it, or, when no account uses it,
 * no link and a sentence saying so. `setPasswordUrl` carries the token: never log it.
 */
export interface AddressProofMessage {
  to: string;
  setPasswordUrl: string | null;
  expiresAt: string;
}

/**
 * The mail port. `delivered: false` means nothing was sent and the inviter must pass the link
 * on themselves (the embedded default without SMTP). Adapters answer the same way whether or
 * not the address has an account: the inviter must not learn that from us.
 *
 * `sendAddressProof` must reach the address and nobody else, since the link in it is the proof:
 * SMTP mails it; the embedded default writes it to its outbox, which only whoever runs the
 * server reads; Supabase mode never sends one (Supabase Auth proves addresses itself).
 */
export interface Mailer {
  readonly kind: "smtp" | "supabase" | "link";
  sendInvitation(message: InvitationMessage): Promise<{ delivered: boolean }>;
  sendAddressProof(message: AddressProofMessage): Promise<void>;
}
