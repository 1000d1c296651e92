import { describe, expect, it } from "vitest";
import type { CookieJar, CookieOptions } from "@/lib/auth/cookie-jar";
import { createLocalUser, issueSessionToken, localAuth, SESSION_COOKIE, verifySessionToken } from "@/lib/auth/local";
import {
  CONSECUTIVE_BLOCK_SECONDS,
  MAX_CONSECUTIVE_FAILURES,
  MAX_FAILURES_PER_EMAIL_PER_HOUR,
  MAX_FAILURES_PER_IP_PER_DAY,
} from "@/lib/auth/sign-in-limiter";
import { sql } from "@/lib/db/client";
import { RateLimitedError, UnauthenticatedError } from "@/lib/errors";

class MemoryJar implements CookieJar {
  readonly cookies = new Map<string, string>();
  readonly writes: { name: string; value: string; options?: CookieOptions }[] = [];
  getAll() {
    return [...this.cookies].map(([name, value]) => ({ name, value }));
  }
  set(name: string, value: string, options?: CookieOptions) {
    this.writes.push({ name, value, options });
    if (options?.maxAge === 0) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

let n = 0;
const fresh = () => `person${++n}-${Date.now()}@example.test`;
const ip = () => `203.0.113.${(n * 7) % 250}`;

describe("local auth adapter", () => {
  it("stores passwords as Argon2id hashes, never in clear", async () => {
    const email = fresh();
    await createLocalUser(email, "correct horse battery staple");
    const [row] = await sql()`select encrypted_password from auth.users where email = ${email}`;
    expect(row!.encrypted_password).toMatch(/^\$argon2id\$/);
    expect(row!.encrypted_password).not.toContain("correct horse");
  });

  it("signs in, sets an httpOnly SameSite=Lax cookie with Supabase-shaped claims, and reads it back", async () => {
    const email = fresh();
    const { id } = await createLocalUser(email, "a long enough password");
    const jar = new MemoryJar();
    await localAuth.signIn(jar, { email: email.toUpperCase(), password: "a long enough password", ip: ip() });
    const write = jar.writes.find((w) => w.name === SESSION_COOKIE)!;
    expect(write.options).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/", secure: false });
    const session = await localAuth.getSession(jar);
    expect(session?.userId).toBe(id);
    expect(session?.claims).toMatchObject({ sub: id, email, role: "authenticated", aud: "authenticated" });
    expect(typeof session?.claims.session_id).toBe("string");
    expect(session!.claims.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it("answers a wrong password and an unknown email with the same generic 401", async () => {
    const email = fresh();
    await createLocalUser(email, "the right password");
    const wrong = localAuth.signIn(new MemoryJar(), { email, password: "the wrong password", ip: ip() });
    await expect(wrong).rejects.toThrow(UnauthenticatedError);
    await expect(wrong).rejects.toThrow("Email or password is incorrect.");
    const unknown = localAuth.signIn(new MemoryJar(), { email: fresh(), password: "whatever", ip: ip() });
    await expect(unknown).rejects.toThrow("Email or password is incorrect.");
  });

  it("after 10 consecutive failures for one email from one address, refuses that pair (429) even with the right password", async () => {
    const email = fresh();
    await createLocalUser(email, "the right password");
    const attacker = "198.51.100.10";
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) {
      await expect(localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: attacker })).rejects.toThrow(UnauthenticatedError);
    }
    const refused = localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: attacker });
    await expect(refused).rejects.toThrow(RateLimitedError);
    await expect(refused).rejects.toThrow(/Try again in 15 minutes/);
    const err = (await refused.catch((e: unknown) => e)) as RateLimitedError;
    expect(err.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(CONSECUTIVE_BLOCK_SECONDS);
    // Another address is a different pair: the account itself is not locked.
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: "198.51.100.11" })).resolves.toBeTruthy();
  });

  it("a successful sign-in resets the consecutive failures", async () => {
    const email = fresh();
    await createLocalUser(email, "the right password");
    const address = "198.51.100.20";
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES - 1; i++) {
      await expect(localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: address })).rejects.toThrow(UnauthenticatedError);
    }
    await localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: address });
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES - 1; i++) {
      await expect(localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: address })).rejects.toThrow(UnauthenticatedError);
    }
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: address })).resolves.toBeTruthy();
  });

  it("a flood of failures for one email from many addresses locks strangers out, not the owner at an address with good history", async () => {
    const email = fresh();
    await createLocalUser(email, "the right password");
    const home = "192.0.2.10";
    await localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: home });
    // The attacker spreads failures over addresses, staying under each pair's limit.
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_PER_HOUR; i++) {
      await expect(
        localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: `198.18.${Math.floor(i / 5)}.${(i % 5) + 1}` }),
      ).rejects.toThrow(UnauthenticatedError);
    }
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: "198.18.200.1" })).rejects.toThrow(RateLimitedError);
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: "198.18.200.2" })).rejects.toThrow(RateLimitedError);
    // The owner, from the address they signed in from before, still gets in.
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: home })).resolves.toBeTruthy();
    const [history] = await sql()`select count(*)::int as n from private.sign_in_history`;
    expect(history!.n).toBeGreaterThan(0);
    const [clear] = await sql()`select count(*)::int as n from private.sign_in_history where ip_hash = ${home} or email_hash = ${email}`;
    expect(clear!.n).toBe(0);
  });

  it("slow brute force: 100 failures in a day from one address across emails block the address", async () => {
    const address = "192.0.2.77";
    for (let i = 0; i < MAX_FAILURES_PER_IP_PER_DAY; i++) {
      await expect(localAuth.signIn(new MemoryJar(), { email: fresh(), password: "nope", ip: address })).rejects.toThrow(UnauthenticatedError);
    }
    const email = fresh();
    await createLocalUser(email, "the right password");
    const refused = localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: address });
    await expect(refused).rejects.toThrow(RateLimitedError);
    await expect(refused).rejects.toThrow(/Try again in (23|24) hours/);
    await expect(localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: "192.0.2.78" })).resolves.toBeTruthy();
  }, 120_000);

  it("rejects a session cookie edited by hand", async () => {
    const email = fresh();
    await createLocalUser(email, "a long enough password");
    const jar = new MemoryJar();
    await localAuth.signIn(jar, { email, password: "a long enough password", ip: ip() });
    const token = jar.cookies.get(SESSION_COOKIE)!;
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    claims.sub = "00000000-0000-4000-8000-000000000000";
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
    jar.cookies.set(SESSION_COOKIE, forged);
    expect(await localAuth.getSession(jar)).toBeNull();
    expect(await localAuth.refresh(jar)).toBeNull();
    jar.cookies.set(SESSION_COOKIE, `${token.slice(0, -2)}xx`);
    expect(await localAuth.getSession(jar)).toBeNull();
  });

  it("rejects an expired token and one signed with another secret", async () => {
    const { id } = await createLocalUser(fresh(), "a long enough password");
    const expired = await issueSessionToken({ sub: id, role: "authenticated", aud: "authenticated", session_id: crypto.randomUUID() }, -10);
    expect(await verifySessionToken(expired)).toBeNull();
    const { SignJWT } = await import("jose");
    const foreign = await new SignJWT({ sub: id, role: "authenticated", aud: "authenticated", session_id: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("verbatim-local")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-secret-that-is-also-long-enough-000000"));
    expect(await verifySessionToken(foreign)).toBeNull();
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${foreign.split(".")[1]}.`;
    expect(await verifySessionToken(unsigned)).toBeNull();
  });

  it("sign-out revokes the session: the same token no longer works", async () => {
    const email = fresh();
    await createLocalUser(email, "a long enough password");
    const jar = new MemoryJar();
    await localAuth.signIn(jar, { email, password: "a long enough password", ip: ip() });
    const token = jar.cookies.get(SESSION_COOKIE)!;
    await localAuth.signOut(jar);
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    const replay = new MemoryJar();
    replay.cookies.set(SESSION_COOKIE, token);
    expect(await verifySessionToken(token)).not.toBeNull(); // still well-signed…
    expect(await localAuth.getSession(replay)).toBeNull(); // …but revoked
  });
});
