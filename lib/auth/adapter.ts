import type { CookieJar } from "@/lib/auth/cookie-jar";
import type { Claims, Session } from "@/lib/db/claims";
import type { SignInRequest } from "@/lib/auth/contracts";

/** The sign-in request's body plus where it came from. */
export type SignInInput = SignInRequest & { ip: string; userAgent?: string };

/** Sessions behind one interface; `lib/auth/index.ts` picks the adapter from the config. */
export interface AuthAdapter {
  readonly kind: "local" | "supabase";
  /** The verified session of this request, or null. Checks revocation. */
  getSession(jar: CookieJar): Promise<Session | null>;
  /**
   * The session from its signed token alone, for a member request whose own transaction checks
   * revocation in its first statement (`private.request_context` finds the `auth.sessions`
   * row). Absent (Supabase, whose Auth server knows revocation): `getSession` is used instead.
   */
  tokenSession?(jar: CookieJar): Promise<Session | null>;
  /**
   * The proxy's check: cheap (no database for local), refreshes tokens where the adapter has
   * them (Supabase), and writes refreshed cookies to the jar.
   */
  refresh(jar: CookieJar): Promise<Claims | null>;
  /** Throws UnauthenticatedError (generic message) or RateLimitedError. */
  signIn(jar: CookieJar, input: SignInInput): Promise<Session>;
  signOut(jar: CookieJar): Promise<void>;
  /**
   * Before an invitation is made: throws (a typed AppError) when a session of this adapter for an
   * address does not show that its holder is the address's owner, so an invitation's consent would
   * mean nothing (docs/adr/0027). Absent (local): the local accounts say so themselves, per account.
   */
  assertSessionsProveAddresses?(): Promise<void>;
}
