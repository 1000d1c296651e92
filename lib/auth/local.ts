import "server-only";
import { isIP } from "node:net";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { config, ConfigError } from "@/lib/config";
import { asService, type Tx } from "@/lib/db";
import { UnauthenticatedError } from "@/lib/errors";
import type { AuthAdapter, SignInInput } from "@/lib/auth/adapter";
import { claimsSchema, sessionFromClaims, type Claims, type Session } from "@/lib/db/claims";
import { cookieValue, secureCookies, type CookieJar } from "@/lib/auth/cookie-jar";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";
import { assertSignInAllowed, recordSignInFailure, recordSignInSuccess } from "@/lib/auth/sign-in-limiter";
import { isUuid } from "@/lib/pg-safe";

/**
 * The embedded default's sign-in: email and password (Argon2id) in `auth.users`, a session row
 * in `auth.sessions`, and an HS256-signed token in an httpOnly SameSite=Lax cookie whose claims
 * have the shape of a Supabase access token. Sign-out deletes the session row, which revokes
 * the token even before it expires.
 */
export const SESSION_COOKIE = "verbatim-session";
const ISSUER = "verbatim-local";
const AUDIENCE = "authenticated";
const SESSION_TTL_SECONDS = 8 * 60 * 60;
const GENERIC_FAILURE = "Email or password is incorrect.";

function secret(): Uint8Array {
  const value = config().sessionSecret;
  if (!value) {
    throw new ConfigError("SESSION_SECRET is not set; local sign-in needs it (`npm run dev` generates one).");
  }
  return new TextEncoder().encode(value);
}

/** Verify signature, audience, issuer and expiry. No database: the proxy uses this. */
export async function verifySessionToken(token: string): Promise<Claims | null> {
  try {
    const { payload } = await jwtVerify(token, secret(), { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] });
    const parsed = claimsSchema.safeParse(payload);
    return parsed.success ? parsed.data : null;
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}

export async function issueSessionToken(claims: Omit<Claims, "iat" | "exp">, ttlSeconds = SESSION_TTL_SECONDS): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret());
}

function setSessionCookie(jar: CookieJar, token: string, maxAge: number): void {
  jar.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies(config().publicBaseUrl),
    path: "/",
    maxAge,
  });
}

interface UserRow {
  id: string;
  email: string;
  encrypted_password: string | null;
}

/**
 * Create a local user (or return the existing one with that email, password unchanged).
 * `addressProven`: whether anyone has shown they read mail sent to the address
 * (`email_confirmed_at`, docs/adr/0027). True for accounts that whoever runs the server makes
 * (`npm run user:create`); an account made by accepting an invitation is proven only when the
 * invitation's link went to the address itself, not to the inviter.
 */
export async function createLocalUser(
  email: string,
  password: string,
  { addressProven = true }: { addressProven?: boolean } = {},
): Promise<{ id: string; created: boolean }> {
  const normalized = email.trim().toLowerCase();
  const passwordHash = await hashPassword(password);
  return asService(async (tx) => {
    const [inserted] = await tx<{ id: string }[]>`
      insert into auth.users (email, encrypted_password, email_confirmed_at)
      values (${normalized}, ${passwordHash}, case when ${addressProven}::boolean then now() end)
      on conflict (email) do nothing
      returning id`;
    if (inserted) return { id: inserted.id, created: true };
    const [existing] = await tx<{ id: string }[]>`select id from auth.users where email = ${normalized}`;
    return { id: existing!.id, created: false };
  });
}

/**
 * The owner of the address has proven it (lib/orgs/address-proofs.ts): their password replaces
 * whatever the account had, the address is marked proven, and every session of the account ends
 * (each deleted row revokes its token at once and closes its live streams). In the caller's
 * service transaction. Answers whether the address was proven before.
 */
export async function setPasswordOfProvenAddress(
  tx: Tx,
  { userId, passwordHash }: { userId: string; passwordHash: string },
): Promise<{ wasProven: boolean }> {
  const [before] = await tx<{ wasProven: boolean }[]>`
    select email_confirmed_at is not null as "wasProven" from auth.users where id = ${userId} for update`;
  if (!before) throw new Error(`no local user ${userId}`);
  await tx`update auth.users set encrypted_password = ${passwordHash},
             email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
           where id = ${userId}`;
  await tx`delete from auth.sessions where user_id = ${userId}`;
  return before;
}

/** A new session for a user whose credentials were just checked: its row, then its cookie. */
export async function startLocalSession(
  jar: CookieJar,
  user: { id: string; email: string },
  { ip, userAgent }: { ip: string; userAgent?: string },
): Promise<Session> {
  const sessionId = crypto.randomUUID();
  await asService(async (tx) => {
    await tx`insert into auth.sessions (id, user_id, not_after, ip, user_agent)
             values (${sessionId}, ${user.id}, now() + make_interval(secs => ${SESSION_TTL_SECONDS}),
                     ${isIP(ip.replace(/^::ffff:/, "")) ? ip : null}, ${userAgent?.slice(0, 500) ?? null})`;
    await tx`update auth.users set last_sign_in_at = now() where id = ${user.id}`;
  });
  const base = { sub: user.id, email: user.email, role: "authenticated", aud: AUDIENCE, session_id: sessionId, aal: "aal1" };
  const token = await issueSessionToken(base);
  setSessionCookie(jar, token, SESSION_TTL_SECONDS);
  const claims = await verifySessionToken(token);
  return sessionFromClaims(claims!);
}

export const localAuth: AuthAdapter = {
  kind: "local",

  async refresh(jar) {
    const token = cookieValue(jar, SESSION_COOKIE);
    return token ? verifySessionToken(token) : null;
  },

  async tokenSession(jar): Promise<Session | null> {
    const token = cookieValue(jar, SESSION_COOKIE);
    const claims = token ? await verifySessionToken(token) : null;
    return claims?.session_id && isUuid(claims.session_id) ? sessionFromClaims(claims) : null;
  },

  async getSession(jar): Promise<Session | null> {
    const token = cookieValue(jar, SESSION_COOKIE);
    if (!token) return null;
    const claims = await verifySessionToken(token);
    if (!claims?.session_id) return null;
    const [live] = await asService(
      (tx) => tx`select 1 from auth.sessions
                 where id = ${claims.session_id!} and user_id = ${claims.sub} and not_after > now()`,
    );
    return live ? sessionFromClaims(claims) : null;
  },

  async signIn(jar, { email, password, ip, userAgent }: SignInInput): Promise<Session> {
    const normalized = email.trim().toLowerCase();
    await assertSignInAllowed(ip, normalized);
    const [user] = await asService(
      (tx) => tx<UserRow[]>`select id, email, encrypted_password from auth.users where email = ${normalized}`,
    );
    if (!(await verifyPassword(user?.encrypted_password, password)) || !user) {
      await recordSignInFailure(ip, normalized);
      throw new UnauthenticatedError(GENERIC_FAILURE);
    }
    await recordSignInSuccess(ip, normalized);
    return startLocalSession(jar, user, { ip, userAgent });
  },

  async signOut(jar) {
    const token = cookieValue(jar, SESSION_COOKIE);
    const claims = token ? await verifySessionToken(token) : null;
    if (claims?.session_id) {
      await asService((tx) => tx`delete from auth.sessions where id = ${claims.session_id!}`);
    }
    setSessionCookie(jar, "", 0);
  },
};
