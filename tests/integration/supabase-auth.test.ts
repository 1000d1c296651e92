import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { combineChunks, createServerClient, stringFromBase64URL } from "@supabase/ssr";
import type { AuthAdapter } from "@/lib/auth/adapter";
import type { CookieJar, CookieOptions } from "@/lib/auth/cookie-jar";
import { resetConfig } from "@/lib/config";
import { RateLimitedError, UnauthenticatedError, UnavailableError } from "@/lib/errors";
import {
  startSupabaseAuthPeer,
  type PeerUser,
  type SigningKey,
  type SupabaseAuthPeer,
} from "@/tests/support/supabase-auth-peer";

/**
 * The Supabase auth adapter against a local GoTrue stand-in, through the real @supabase/ssr and
 * supabase-js code: cookies are written and read by the library, tokens are refreshed by it, and
 * claims come from its `getClaims()` (JWKS verification). Crafted sessions are put into cookies
 * by the library too (`auth.setSession`), never hand-encoded.
 */

class MemoryJar implements CookieJar {
  readonly cookies: Map<string, string>;
  readonly writes: { name: string; value: string; options?: CookieOptions }[] = [];
  constructor(initial: Iterable<[string, string]> = []) {
    this.cookies = new Map(initial);
  }
  getAll() {
    return [...this.cookies].map(([name, value]) => ({ name, value }));
  }
  set(name: string, value: string, options?: CookieOptions) {
    this.writes.push({ name, value, options });
    // What a browser does with the Set-Cookie: an empty or maxAge=0 cookie is removed.
    if (!value || options?.maxAge === 0) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
  /** The cookies a browser would send next time. */
  copy() {
    return new MemoryJar(this.cookies);
  }
}

interface StoredSession {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  user: { id: string; email: string };
}

let peer: SupabaseAuthPeer;
let adapter: AuthAdapter;
/** supabase-js's storage key for this project URL, which @supabase/ssr uses as the cookie name. */
let cookieName: string;
let n = 0;
const PASSWORD = "correct horse battery staple";
const IP = "203.0.113.9";

beforeAll(async () => {
  peer = await startSupabaseAuthPeer({ publishableKey: "sb_publishable_verbatim_test" });
  process.env.NEXT_PUBLIC_SUPABASE_URL = peer.url;
  process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY = peer.publishableKey;
  process.env.SUPABASE_SECRET_KEY = "sb_secret_verbatim_test";
  resetConfig();
  // Imported only now: the adapter must see the peer's configuration.
  ({ supabaseAuth: adapter } = await import("@/lib/auth/supabase"));
  cookieName = `sb-${new URL(peer.url).hostname.split(".")[0]}-auth-token`;
});

afterAll(async () => {
  await peer?.close();
  delete process.env.NEXT_PUBLIC_SUPABASE_URL;
  delete process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY;
  delete process.env.SUPABASE_SECRET_KEY;
  resetConfig();
});

function newUser(userMetadata: Record<string, unknown> = {}): PeerUser {
  return peer.addUser({ email: `person${++n}@example.test`, password: PASSWORD, userMetadata });
}

/** The session the library stored in the jar, decoded with @supabase/ssr's own chunk and base64url code. */
async function storedSession(jar: MemoryJar): Promise<StoredSession | null> {
  const combined = await combineChunks(cookieName, (name) => jar.cookies.get(name));
  if (!combined) return null;
  expect(combined.startsWith("base64-")).toBe(true);
  return JSON.parse(stringFromBase64URL(combined.slice("base64-".length))) as StoredSession;
}

function sessionCookieNames(jar: MemoryJar): string[] {
  return [...jar.cookies.keys()].filter((name) => name === cookieName || name.startsWith(`${cookieName}.`));
}

/**
 * Cookies for a session, written by @supabase/ssr itself: a server client with a fresh jar and
 * `auth.setSession`, which asks the peer's /user about the access token before storing it.
 */
async function libraryCookies(tokens: { access_token: string; refresh_token: string }): Promise<MemoryJar> {
  const jar = new MemoryJar();
  const client = createServerClient(peer.url, peer.publishableKey, {
    cookies: { getAll: () => jar.getAll(), setAll: (all) => all.forEach((c) => jar.set(c.name, c.value, c.options)) },
  });
  const { error } = await client.auth.setSession(tokens);
  if (error) throw error;
  return jar;
}

/**
 * Cookies written by the library as they were two hours ago, when the access token was fresh:
 * the session is minted and stored under a clock set back, so its token is now an hour expired.
 */
async function cookiesFromTwoHoursAgo(user: PeerUser, refreshToken?: (issued: string) => string): Promise<MemoryJar> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - 2 * 3600_000 });
  try {
    const session = await peer.sessionFor(user);
    return await libraryCookies({
      access_token: session.access_token,
      refresh_token: refreshToken ? refreshToken(session.refresh_token) : session.refresh_token,
    });
  } finally {
    vi.useRealTimers();
  }
}

/**
 * Cookies carrying a token the peer never issued. They are what an attacker can put in their
 * own browser; to get the library to write them, its /user question is answered by a fetch that
 * believes any token (the peer itself refuses them).
 */
async function forgedCookies(accessToken: string): Promise<MemoryJar> {
  const jar = new MemoryJar();
  const believing: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname !== "/auth/v1/user") return fetch(input, init);
    const claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString("utf8")) as {
      sub: string;
      email: string;
    };
    return Response.json({ id: claims.sub, aud: "authenticated", role: "authenticated", email: claims.email });
  };
  const client = createServerClient(peer.url, peer.publishableKey, {
    cookies: { getAll: () => jar.getAll(), setAll: (all) => all.forEach((c) => jar.set(c.name, c.value, c.options)) },
    global: { fetch: believing },
  });
  const { error } = await client.auth.setSession({ access_token: accessToken, refresh_token: "forged-refresh" });
  if (error) throw error;
  expect((await storedSession(jar))?.access_token).toBe(accessToken);
  return jar;
}

const count = (method: string, path: string) => peer.requestsTo(method, path).length;

describe("Supabase auth adapter through @supabase/ssr and supabase-js", () => {
  it("signs in, writes @supabase/ssr's cookie, and verifies it on the next request against the JWKS", async () => {
    const user = newUser();
    const signInJar = new MemoryJar();
    const signedIn = await adapter.signIn(signInJar, { email: user.email, password: PASSWORD, ip: IP });
    expect(signedIn).toMatchObject({ userId: user.id, email: user.email });

    // The library's format: sb-<project ref>-auth-token, "base64-" + base64url(JSON session),
    // with @supabase/ssr's default cookie options.
    expect(sessionCookieNames(signInJar).length).toBeGreaterThan(0);
    const write = signInJar.writes.find((w) => w.name.startsWith(cookieName) && w.value)!;
    expect(write.value.startsWith("base64-")).toBe(true);
    expect(write.options).toMatchObject({ path: "/", sameSite: "lax", maxAge: 400 * 24 * 60 * 60 });
    const stored = await storedSession(signInJar);
    expect(stored?.user.id).toBe(user.id);
    expect(peer.isRefreshTokenActive(stored!.refresh_token)).toBe(true);

    // The next request: a new jar holding only the cookies.
    const userCalls = count("GET", "/auth/v1/user");
    const session = await adapter.getSession(signInJar.copy());
    expect(session?.userId).toBe(user.id);
    expect(session?.claims).toMatchObject({ sub: user.id, email: user.email, role: "authenticated", aud: "authenticated" });
    // Verified with the served public key (getClaims' asymmetric path), then one /user question
    // for revocation; the proxy's cheaper check makes no /user call at all.
    expect(count("GET", "/auth/v1/.well-known/jwks.json")).toBeGreaterThan(0);
    expect(count("GET", "/auth/v1/user")).toBe(userCalls + 1);
    await adapter.refresh(signInJar.copy());
    expect(count("GET", "/auth/v1/user")).toBe(userCalls + 1);
  });

  it("reads a session whose cookie @supabase/ssr had to split into chunks", async () => {
    const user = newUser({ bio: "x".repeat(4000) });
    const jar = new MemoryJar();
    await adapter.signIn(jar, { email: user.email, password: PASSWORD, ip: IP });
    expect(sessionCookieNames(jar)).toEqual(expect.arrayContaining([`${cookieName}.0`, `${cookieName}.1`]));
    expect((await adapter.getSession(jar.copy()))?.userId).toBe(user.id);
  });

  it("refuses an expired access token whose refresh token the server does not know", async () => {
    const user = newUser();
    const jar = await cookiesFromTwoHoursAgo(user, () => "never-issued");
    const refreshes = count("POST", "/auth/v1/token");
    expect(await adapter.getSession(jar)).toBeNull();
    // The library did try to refresh, was refused, and cleared the dead session's cookies.
    expect(peer.requestsTo("POST", "/auth/v1/token").slice(refreshes)).toEqual([
      expect.objectContaining({ query: { grant_type: "refresh_token" }, status: 400 }),
    ]);
    expect(sessionCookieNames(jar)).toEqual([]);
  });

  it("refreshes an expired access token with a valid refresh token and writes the new cookies", async () => {
    const user = newUser();
    const jar = await cookiesFromTwoHoursAgo(user);
    const before = (await storedSession(jar))!;
    expect(before.expires_at).toBeLessThan(Date.now() / 1000);

    const session = await adapter.getSession(jar);
    expect(session?.claims).toMatchObject({ sub: user.id, email: user.email, role: "authenticated" });
    expect(session!.claims.exp).toBeGreaterThan(Date.now() / 1000);

    // The rotated tokens reached the jar (the response's Set-Cookie), and the server rotated.
    const after = (await storedSession(jar))!;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(peer.isRefreshTokenActive(before.refresh_token)).toBe(false);
    expect(peer.isRefreshTokenActive(after.refresh_token)).toBe(true);

    // The next request with those cookies needs no refresh.
    const tokenCalls = count("POST", "/auth/v1/token");
    expect((await adapter.getSession(jar.copy()))?.userId).toBe(user.id);
    expect(count("POST", "/auth/v1/token")).toBe(tokenCalls);
  });

  it("refuses a token signed by a key the project does not serve, with the served kid or an unknown one", async () => {
    const user = newUser();

    // Served kid: the signature check against the served public key fails, locally.
    const sameKid = await forgedCookies(await peer.signAccessToken({ sub: user.id, email: user.email }, { key: "foreign-same-kid" }));
    const userCalls = count("GET", "/auth/v1/user");
    expect(await adapter.getSession(sameKid)).toBeNull();
    expect(count("GET", "/auth/v1/user")).toBe(userCalls);

    // Unknown kid: getClaims refetches the JWKS, finds no such key, and asks /user, which refuses.
    const unknownKid = await forgedCookies(await peer.signAccessToken({ sub: user.id, email: user.email }, { key: "foreign-unknown-kid" }));
    const jwksCalls = count("GET", "/auth/v1/.well-known/jwks.json");
    expect(await adapter.getSession(unknownKid)).toBeNull();
    expect(count("GET", "/auth/v1/.well-known/jwks.json")).toBe(jwksCalls + 1);
    expect(peer.requestsTo("GET", "/auth/v1/user").slice(userCalls)).toEqual([
      expect.objectContaining({ status: 403 }),
    ]);
  });

  it("refuses a token whose payload was edited after signing", async () => {
    const victim = newUser();
    const attacker = newUser();
    const { access_token } = await peer.sessionFor(attacker);
    const [header, payload, signature] = access_token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...claims, sub: victim.id, email: victim.email })).toString("base64url");

    // The untouched token is accepted, so only the edit is what gets refused.
    expect((await adapter.getSession(await forgedCookies(access_token)))?.userId).toBe(attacker.id);
    expect(await adapter.getSession(await forgedCookies(`${header}.${edited}.${signature}`))).toBeNull();
  });

  it("answers a wrong password with the generic UnauthenticatedError and writes no cookie", async () => {
    const user = newUser();
    const jar = new MemoryJar();
    const attempt = adapter.signIn(jar, { email: user.email, password: "not the password", ip: IP });
    await expect(attempt).rejects.toThrow(UnauthenticatedError);
    await expect(attempt).rejects.toThrow("Email or password is incorrect.");
    expect(jar.writes).toEqual([]);
    const unknown = adapter.signIn(new MemoryJar(), { email: "nobody@example.test", password: PASSWORD, ip: IP });
    await expect(unknown).rejects.toThrow("Email or password is incorrect.");
  });

  it("turns Supabase's 429 into RateLimitedError and its 5xx into UnavailableError", async () => {
    const user = newUser();
    const input = { email: user.email, password: PASSWORD, ip: IP };
    peer.injectError({
      method: "POST",
      path: "/auth/v1/token",
      status: 429,
      errorCode: "over_request_rate_limit",
      message: "Request rate limit reached",
    });
    await expect(adapter.signIn(new MemoryJar(), input)).rejects.toThrow(RateLimitedError);
    peer.injectError({
      method: "POST",
      path: "/auth/v1/token",
      status: 503,
      errorCode: "unexpected_failure",
      message: "Service unavailable",
    });
    await expect(adapter.signIn(new MemoryJar(), input)).rejects.toThrow(UnavailableError);
    // Nothing sticky: the next attempt signs in.
    await expect(adapter.signIn(new MemoryJar(), input)).resolves.toMatchObject({ userId: user.id });
  });

  it("signs out at Supabase (revoking the refresh token) and clears the cookies", async () => {
    const user = newUser();
    const jar = new MemoryJar();
    await adapter.signIn(jar, { email: user.email, password: PASSWORD, ip: IP });
    const { access_token, refresh_token } = (await storedSession(jar))!;

    await adapter.signOut(jar);

    expect(peer.requestsTo("POST", "/auth/v1/logout")).toEqual([
      expect.objectContaining({ authorization: `Bearer ${access_token}`, status: 204 }),
    ]);
    expect(peer.isRefreshTokenActive(refresh_token)).toBe(false);
    expect(sessionCookieNames(jar)).toEqual([]);
    expect(jar.writes.filter((w) => w.name.startsWith(cookieName) && !w.value).length).toBeGreaterThan(0);
    expect(await adapter.getSession(jar)).toBeNull();
  });

  it("a copy of the cookies taken before sign-out no longer authorizes afterwards", async () => {
    const user = newUser();
    const jar = new MemoryJar();
    await adapter.signIn(jar, { email: user.email, password: PASSWORD, ip: IP });
    const copied = jar.copy();
    expect((await adapter.getSession(copied.copy()))?.userId).toBe(user.id);
    await adapter.signOut(jar);
    expect(await adapter.getSession(copied.copy())).toBeNull();
  });

  it("sets the session cookies httpOnly and SameSite=Lax", async () => {
    const user = newUser();
    const jar = new MemoryJar();
    await adapter.signIn(jar, { email: user.email, password: PASSWORD, ip: IP });
    const write = jar.writes.find((w) => w.name.startsWith(cookieName) && w.value)!;
    expect(write.options).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/" });
  });

  it("refresh(jar), the proxy's check, agrees with getSession for valid and invalid cookies", async () => {
    const user = newUser();
    const signedIn = new MemoryJar();
    await adapter.signIn(signedIn, { email: user.email, password: PASSWORD, ip: IP });
    const { access_token } = await peer.sessionFor(user);
    const [header, , signature] = access_token.split(".");
    const elevated = { sub: user.id, role: "service_role", aud: "authenticated", exp: 9_999_999_999 };
    const edited = `${header}.${Buffer.from(JSON.stringify(elevated)).toString("base64url")}.${signature}`;
    const forgedCookiesSignedBy = async (key: SigningKey) =>
      forgedCookies(await peer.signAccessToken({ sub: user.id, email: user.email }, { key }));
    const cases: [string, () => Promise<MemoryJar>, boolean][] = [
      ["signed in", async () => signedIn.copy(), true],
      ["expired, refreshable", () => cookiesFromTwoHoursAgo(user), true],
      ["expired, unknown refresh token", () => cookiesFromTwoHoursAgo(user, () => "never-issued"), false],
      ["foreign key, served kid", () => forgedCookiesSignedBy("foreign-same-kid"), false],
      ["foreign key, unknown kid", () => forgedCookiesSignedBy("foreign-unknown-kid"), false],
      ["edited payload", () => forgedCookies(edited), false],
      ["no cookie", async () => new MemoryJar(), false],
      ["garbage cookie", async () => new MemoryJar([[cookieName, "base64-bm90IGpzb24"]]), false],
    ];
    for (const [name, jarFor, valid] of cases) {
      const jar = await jarFor();
      // As in a request: the proxy refreshes first, then the handler reads the cookies it forwarded.
      const claims = await adapter.refresh(jar);
      const session = await adapter.getSession(jar);
      expect(claims !== null, `${name}: refresh`).toBe(valid);
      expect(session !== null, `${name}: getSession`).toBe(valid);
      if (valid) expect(session!.claims, name).toEqual(claims);
    }
  });
});
