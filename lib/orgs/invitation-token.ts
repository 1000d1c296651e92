/** Invitation tokens are link tokens (lib/link-token.ts), under the names invitations use. */
export {
  newLinkToken as newInvitationToken,
  hashLinkToken as hashInvitationToken,
  isWellFormedLinkToken as isWellFormedToken,
} from "@/lib/link-token";
