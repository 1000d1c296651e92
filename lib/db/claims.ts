import { z } from "zod";

/**
 * The claims of a session, shaped like a Supabase access token so that the same SQL
 * (`auth.uid()`, `auth.jwt()`) and the same code serve both adapters.
 */
export const claimsSchema = z.looseObject({
  sub: z.uuid(),
  email: z.string().optional(),
  role: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  session_id: z.string().optional(),
});

export type Claims = z.infer<typeof claimsSchema>;

export interface Session {
  userId: string;
  email: string | undefined;
  claims: Claims;
}

export function sessionFromClaims(claims: Claims): Session {
  return { userId: claims.sub, email: claims.email, claims };
}
