import "server-only";
import { createServerClient } from "@supabase/ssr";
import { isAuthApiError } from "@supabase/supabase-js";
import { config } from "@/lib/config";
import { RateLimitedError, UnauthenticatedError, UnavailableError } from "@/lib/errors";
import type { AuthAdapter } from "@/lib/auth/adapter";
import { claimsSchema, sessionFromClaims, type Claims } from "@/lib/auth/claims";
import type { CookieJar } from "@/lib/auth/cookie-jar";

/**
 * Production sign-in through Supabase Auth: a fresh @supabase/ssr server client per request,
 * claims from `auth.getClaims()` (verified against the project's JWKS; never `getSession()`
 * for authorization). Refreshed tokens are written back through the jar.
 */
export function supabaseServerClient(jar: CookieJar) {
  const supabase = config().supabase;
  if (!supabase) throw new Error("Supabase auth adapter used without Supabase configuration");
  return createServerClient(supabase.url, supabase.publishableKey, {
    cookies: {
      getAll: () => jar.getAll(),
      setAll: (cookies) => {
        for (const { name, value, options } of cookies) jar.set(name, value, options);
      },
    },
  });
}

async function verifiedClaims(jar: CookieJar): Promise<Claims | null> {
  const { data, error } = await supabaseServerClient(jar).auth.getClaims();
  if (error || !data) return null;
  const parsed = claimsSchema.safeParse(data.claims);
  return parsed.success ? parsed.data : null;
}

export const supabaseAuth: AuthAdapter = {
  kind: "supabase",

  refresh: verifiedClaims,

  async getSession(jar) {
    const claims = await verifiedClaims(jar);
    return claims ? sessionFromClaims(claims) : null;
  },

  async signIn(jar, { email, password }) {
    const { data, error } = await supabaseServerClient(jar).auth.signInWithPassword({ email, password });
    if (error) {
      if (isAuthApiError(error) && error.status === 429) {
        throw new RateLimitedError("Too many sign-in attempts. Try again in a minute.", 60);
      }
      if (isAuthApiError(error) && error.status >= 400 && error.status < 500) {
        throw new UnauthenticatedError("Email or password is incorrect.");
      }
      throw new UnavailableError("The sign-in service did not answer. Try again shortly.");
    }
    const claims = claimsSchema.safeParse(decodePayload(data.session.access_token));
    if (!claims.success) throw new UnauthenticatedError("Email or password is incorrect.");
    return sessionFromClaims(claims.data);
  },

  async signOut(jar) {
    await supabaseServerClient(jar).auth.signOut();
  },
};

function decodePayload(jwt: string): unknown {
  const part = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}
