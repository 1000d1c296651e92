import { z } from "zod";
import { membershipSchema } from "@/lib/orgs/contracts";

/**
 * The session API's request and response bodies (sign-in, sign-out, email-link sessions, who am
 * I, the active organization, the realtime token), each defined once as a zod schema with its
 * type by `z.infer`. Sign-out answers 204 with no body. Client-safe: zod only.
 */

/**
 * Names the organization a request acts on, for API clients and the page's client islands; the
 * server falls back to the user's stored choice without it (lib/auth/active-org.ts).
 */
export { ORG_HEADER } from "@/lib/auth/org-header";

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
