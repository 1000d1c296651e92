import { describe, expect, it } from "vitest";
import type { CookieJar, CookieOptions } from "@/lib/auth/cookie-jar";
import { createLocalUser, issueSessionToken, localAuth, SESSION_COOKIE, verifySessionToken } from "@/lib/auth/local";
import { MAX_FAILURES_PER_MINUTE } from "@/lib/auth/sign-in-limiter";
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

  it("refuses the 11th failure within a minute for one email (429), even with the right password", async () => {
    const email = fresh();
    await createLocalUser(email, "the right password");
    for (let i = 0; i < MAX_FAILURES_PER_MINUTE; i++) {
      await expect(
        localAuth.signIn(new MemoryJar(), { email, password: "nope", ip: `198.51.100.${i + 1}` }),
      ).rejects.toThrow(UnauthenticatedError);
    }
    const eleventh = localAuth.signIn(new MemoryJar(), { email, password: "the right password", ip: "198.51.100.99" });
    await expect(eleventh).rejects.toThrow(RateLimitedError);
  });

  it("refuses the 11th failure within a minute from one IP across different emails (429)", async () => {
    const address = "192.0.2.77";
    for (let i = 0; i < MAX_FAILURES_PER_MINUTE; i++) {
      await expect(localAuth.signIn(new MemoryJar(), { email: fresh(), password: "nope", ip: address })).rejects.toThrow(UnauthenticatedError);
    }
    await expect(localAuth.signIn(new MemoryJar(), { email: fresh(), password: "nope", ip: address })).rejects.toThrow(RateLimitedError);
  });

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
