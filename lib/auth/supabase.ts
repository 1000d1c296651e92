import "server-only";
import { createServerClient } from "@supabase/ssr";
import { isAuthApiError } from "@supabase/supabase-js";
import { config } from "@/lib/config";
import { ProviderError, RateLimitedError, UnauthenticatedError, UnavailableError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import type { AuthAdapter } from "@/lib/auth/adapter";
import { claimsSchema, sessionFromClaims, type Claims } from "@/lib/db/claims";
import { secureCookies, type CookieJar } from "@/lib/auth/cookie-jar";
import { assertSignInAllowed, recordSignInFailure, recordSignInSuccess } from "@/lib/auth/sign-in-limiter";

/**
 * Production sign-in through Supabase Auth: a fresh @supabase/ssr server client per request.
 * The proxy's check (`refresh`) verifies the access token with `auth.getClaims()` (against the
 * project's JWKS, no round trip) and rotates tokens; `getSession`, which authorizes route
 * handlers, also asks Supabase whether the session still exists, so a copied cookie stops
 * working at sign-out, as with the local adapter. Never authorize from `getSession()` alone.
 */
export function supabaseServerClient(jar: CookieJar) {
  const supabase = config().supabase;
  if (!supabase) throw new Error("Supabase auth adapter used without Supabase configuration");
  return createServerClient(supabase.url, supabase.publishableKey, {
    cookieOptions: { httpOnly: true, secure: secureCookies(config().publicBaseUrl), sameSite: "lax", path: "/" },
    cookies: {
      getAll: () => jar.getAll(),
      setAll: (cookies) => {
        for (const { name, value, options } of cookies) jar.set(name, value, options);
      },
    },
  });
}

type Client = ReturnType<typeof supabaseServerClient>;

async function verifiedClaims(client: Client): Promise<Claims | null> {
  const { data, error } = await client.auth.getClaims();
  if (error || !data) return null;
  const parsed = claimsSchema.safeParse(data.claims);
  return parsed.success ? parsed.data : null;
}

export const supabaseAuth: AuthAdapter = {
  kind: "supabase",

  refresh: (jar) => verifiedClaims(supabaseServerClient(jar)),

  async getSession(jar) {
    const client = supabaseServerClient(jar);
    const claims = await verifiedClaims(client);
    if (!claims) return null;
    // Revocation: getClaims trusts a well-signed token until it expires; the Auth server knows
    // whether its session was ended.
    const { error } = await client.auth.getUser();
    return error ? null : sessionFromClaims(claims);
  },

  async signIn(jar, { email, password, ip }) {
    // Supabase limits /token per client IP, and every request comes from this server: the
    // per-IP and per-email limit must be ours.
    await assertSignInAllowed(ip, email);
    const { data, error } = await supabaseServerClient(jar).auth.signInWithPassword({ email, password });
    if (error) {
      if (isAuthApiError(error) && error.status === 429) {
        throw new RateLimitedError("Too many sign-in attempts. Try again in a minute.", 60);
      }
      if (isAuthApiError(error) && error.status >= 400 && error.status < 500) {
        await recordSignInFailure(ip, email);
        throw new UnauthenticatedError("Email or password is incorrect.");
      }
      throw new UnavailableError("The sign-in service did not answer. Try again shortly.");
    }
    await recordSignInSuccess(ip, email);
    const claims = claimsSchema.safeParse(decodePayload(data.session.access_token));
    if (!claims.success) throw new UnauthenticatedError("Email or password is incorrect.");
    return sessionFromClaims(claims.data);
  },

  /**
   * Supabase Auth proves an address by mailing it a link, unless the project confirms sign-ups
   * without one ("Confirm email" off) while anyone may sign up ("Allow new users to sign up" on).
   * Then anyone can hold a confirmed account, with a password, for an address they do not own; an
   * invitation to that address then reaches the owner as a magic link into an account the other
   * person can still sign in to. Refused until either setting changes. Read from Supabase each
   * time (one request per invitation), so fixing the setting takes effect at once.
   */
  async assertSessionsProveAddresses() {
    const supabase = config().supabase;
    if (!supabase) throw new Error("Supabase auth adapter used without Supabase configuration");
    let settings: { disable_signup?: unknown; mailer_autoconfirm?: unknown };
    try {
      const res = await fetch(`${supabase.url}/auth/v1/settings`, { headers: { apikey: supabase.publishableKey }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      settings = (await res.json()) as typeof settings;
    } catch (err) {
      logger().error({ err: (err as Error).message }, "Supabase Auth settings could not be read");
      throw new ProviderError("Supabase Auth did not say how it confirms addresses. Try again shortly.", "auth_settings_unavailable");
    }
    if (settings.mailer_autoconfirm === true && settings.disable_signup !== true) {
      throw new ProviderError(
        "Supabase Auth lets anyone sign up with any address and does not confirm it, so an invitation cannot show who accepts it. " +
          "In the Supabase dashboard, turn on Authentication → Sign In / Providers → Email → \"Confirm email\", or turn off \"Allow new users to sign up\".",
        "auth_settings_unsafe",
      );
    }
  },

  async signOut(jar) {
    const client = supabaseServerClient(jar);
    const { error } = await client.auth.signOut();
    if (error) {
      // The library keeps the session when the server call fails: clear our cookies anyway,
      // and say that the server-side revocation did not happen.
      await client.auth.signOut({ scope: "local" });
      logger().warn({ err: error.message }, "Supabase sign-out failed; cookies cleared locally");
      throw new UnavailableError("Signed out on this device, but the sign-in service did not confirm. Try again shortly.");
    }
  },
};

/**
 * Supabase's invite and magic-link emails end on our page with the session in the URL fragment
 * (implicit flow: `#access_token=…&refresh_token=…`), which only the browser sees. The page posts
 * the two tokens here; `setSession` asks Supabase about the access token (`/user`) before it
 * stores anything, so a forged or revoked token writes no cookie.
 */
export async function adoptEmailLinkSession(
  jar: CookieJar,
  tokens: { accessToken: string; refreshToken: string },
): Promise<ReturnType<typeof sessionFromClaims>> {
  const { data, error } = await supabaseServerClient(jar).auth.setSession({
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
  });
  const claims = !error && data.session ? claimsSchema.safeParse(decodePayload(data.session.access_token)) : null;
  if (!claims?.success) {
    throw new UnauthenticatedError("This sign-in link is no longer valid. Sign in with your password, or ask for a new invitation.");
  }
  return sessionFromClaims(claims.data);
}

function decodePayload(jwt: string): unknown {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}
