import type { CookieJar } from "@/lib/auth/cookie-jar";
import type { Claims, Session } from "@/lib/auth/claims";
import type { SignInRequest } from "@/lib/auth/contracts";

/** The sign-in request's body plus where it came from. */
export type SignInInput = SignInRequest & { ip: string; userAgent?: string };

/** Sessions behind one interface; `lib/auth/index.ts` picks the adapter from the config. */
export interface AuthAdapter {
  readonly kind: "local" | "supabase";
  /** The verified session of this request, or null. Checks revocation. */
  getSession(jar: CookieJar): Promise<Session | null>;
  /**
   * The proxy's check: cheap (no database for local), refreshes tokens where the adapter has
   * them (Supabase), and writes refreshed cookies to the jar.
   */
  refresh(jar: CookieJar): Promise<Claims | null>;
  /** Throws UnauthenticatedError (generic message) or RateLimitedError. */
  signIn(jar: CookieJar, input: SignInInput): Promise<Session>;
  signOut(jar: CookieJar): Promise<void>;
}
