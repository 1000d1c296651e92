import "server-only";
import { cookies } from "next/headers";
import { config } from "@/lib/config";
import { UnauthenticatedError } from "@/lib/errors";
import type { AuthAdapter } from "@/lib/auth/adapter";
import type { Session } from "@/lib/db/claims";
import type { CookieJar } from "@/lib/auth/cookie-jar";
import { localAuth } from "@/lib/auth/local";
import { supabaseAuth } from "@/lib/auth/supabase";
import { assertUserWithinLimit } from "@/lib/auth/user-limit";

export type { Session } from "@/lib/db/claims";

/** The adapter for this deployment, chosen once from the config. */
export function auth(): AuthAdapter {
  return config().auth === "supabase" ? supabaseAuth : localAuth;
}

/**
 * The request's cookies as a jar. Writes fail silently in Server Components (Next forbids them
 * there); the proxy has already refreshed what needed refreshing.
 */
export async function requestCookieJar(): Promise<CookieJar> {
  const store = await cookies();
  return {
    getAll: () => store.getAll().map(({ name, value }) => ({ name, value })),
    set: (name, value, options) => {
      try {
        store.set(name, value, options);
      } catch {
        // Server Component render: read-only cookies.
      }
    },
  };
}

export async function getSession(): Promise<Session | null> {
  return auth().getSession(await requestCookieJar());
}

/** The member API's entry: a verified session, counted against its user's request limit. */
export async function requireSession(): Promise<Session> {
  const session = await getSession();
  if (!session) throw new UnauthenticatedError();
  await assertUserWithinLimit(session.userId);
  return session;
}

/**
 * A member request's session: verified from its signed token here (no database), with the
 * `auth.sessions` row its transaction must still find (`liveCheck`, checked in that
 * transaction's first statement by `withRequest`). Adapters that check revocation themselves
 * (Supabase asks its Auth server) give `liveCheck: null`. Null without a valid token.
 */
export interface RequestSession {
  session: Session;
  liveCheck: string | null;
}

export async function requestSession(): Promise<RequestSession | null> {
  const adapter = auth();
  const jar = await requestCookieJar();
  if (adapter.tokenSession) {
    const session = await adapter.tokenSession(jar);
    return session && { session, liveCheck: session.claims.session_id! };
  }
  const session = await adapter.getSession(jar);
  return session && { session, liveCheck: null };
}
