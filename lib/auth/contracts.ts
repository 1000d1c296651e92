import { z } from "zod";
import { ROLES } from "@/lib/rbac/policy";
import { membershipSchema } from "@/lib/rbac/membership";

/**
 * The session API's request and response bodies (sign-in, sign-out, email-link sessions, who am
 * I, the active organization, the realtime token), each defined once as a zod schema with its
 * type by `z.infer`. Sign-out answers 204 with no body. Client-safe: zod only.
 */

/**
 * Names the organization a request acts on, for API clients and the page's client islands; the
 * server falls back to the user's stored choice without it (lib/auth/active-org.ts).
 */
export { ORG_HEADER } from "@/lib/rbac/org-header";

/** The signed-in person; `email` is absent when the identity provider has none. */
export const sessionUserSchema = z.object({ id: z.string(), email: z.string().optional() });
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** POST /api/auth/sign-in. */
export const signInRequestSchema = z.object({
  email: z.string().trim().min(3).max(255),
  password: z.string().min(1).max(1024),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/** POST /api/auth/session (Supabase mode): the tokens from an invite or magic-link email. */
export const emailLinkSessionRequestSchema = z.object({
  accessToken: z.string().min(1).max(8192),
  refreshToken: z.string().min(1).max(1024),
});
export type EmailLinkSessionRequest = z.infer<typeof emailLinkSessionRequestSchema>;

/** The answer to signing in, by password or by email link. */
export const signedInResponseSchema = z.object({ user: sessionUserSchema });
export type SignedInResponse = z.infer<typeof signedInResponseSchema>;

/**
 * An invitation made again for the owner of an address, who has just proven it (docs/adr/0027):
 * a membership the account had obtained before anyone proved the address. The link is theirs.
 */
export const offeredInvitationSchema = z.object({
  orgName: z.string(),
  role: z.enum(ROLES),
  acceptUrl: z.string(),
  expiresAt: z.string(),
});
export type OfferedInvitation = z.infer<typeof offeredInvitationSchema>;

/**
 * POST /api/auth/address-proof (embedded default): ask for a link, sent to the address only, that
 * lets whoever reads its mail set the password of the account that uses it (docs/adr/0027).
 * Answered 202 with the same message whether or not an account uses the address.
 */
export const addressProofRequestSchema = z.object({ email: z.email().max(255) });
export type AddressProofRequest = z.infer<typeof addressProofRequestSchema>;

export const addressProofRequestedResponseSchema = z.object({ message: z.string() });
export type AddressProofRequestedResponse = z.infer<typeof addressProofRequestedResponseSchema>;

/** POST /api/auth/address-proof/confirm: the link's token and the password its holder chose. */
export const confirmAddressProofRequestSchema = z.object({
  token: z.string().min(1).max(200),
  password: z.string().min(12, "password: at least 12 characters").max(1024),
});
export type ConfirmAddressProofRequest = z.infer<typeof confirmAddressProofRequestSchema>;

/**
 * The address is proven and the password set; every other session of the account ended and this
 * browser is signed in. When nobody had proven the address before, the organizations the account
 * had joined are offered again (`offeredAgain`: the owner joins only those they choose), except
 * those it keeps (`kept`: the last owner of an organization, or a membership no invitation made).
 */
export const addressProvenResponseSchema = z.object({
  user: sessionUserSchema,
  offeredAgain: z.array(offeredInvitationSchema),
  kept: z.array(z.object({ orgName: z.string(), role: z.enum(ROLES) })),
});
export type AddressProvenResponse = z.infer<typeof addressProvenResponseSchema>;

/** GET /api/me: who is signed in, their memberships and active organization (null: none chosen). */
export const meResponseSchema = z.object({
  user: sessionUserSchema,
  memberships: z.array(membershipSchema),
  activeOrgId: z.string().nullable(),
});
export type MeResponse = z.infer<typeof meResponseSchema>;

/** POST /api/session/org: choose the organization the user works in. */
export const chooseOrgRequestSchema = z.object({ orgId: z.uuid() });
export type ChooseOrgRequest = z.infer<typeof chooseOrgRequestSchema>;

export const chooseOrgResponseSchema = z.object({ activeOrgId: z.string() });
export type ChooseOrgResponse = z.infer<typeof chooseOrgResponseSchema>;

/** GET /api/realtime/token (Supabase mode): the access token for the browser's Realtime client. */
export const realtimeTokenResponseSchema = z.object({ accessToken: z.string() });
export type RealtimeTokenResponse = z.infer<typeof realtimeTokenResponseSchema>;
