import postgres from "postgres";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { requireDatabaseUrl } from "@/lib/config";
import { configureSignalWire, ctx, queuedCall, sidOf, signedRequest, statusParams, statusPath } from "@/tests/support/signalwire";
import { addMembership, createOrg, member } from "@/tests/support/fixtures";
import { sql } from "@/lib/db/client";
import { testCookies } from "@/tests/support/next-headers";
import { CLIENT_IP_HEADER } from "@/lib/http/client-ip";
import type { CookieJar } from "@/lib/auth/cookie-jar";

/**
 * The shared limits (lib/rate-limits) on their own, then the webhook limits (per source address,
 * per call) and the member API's per-user limit driven through the real route handlers:
 * refusals are 429 with Retry-After and store nothing.
 */
configureSignalWire();

// The member API reads the session from next/headers' cookies: the shared stand-in.
vi.mock("next/headers", () => import("@/tests/support/next-headers"));

const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");
const members = await import("@/app/api/members/route");
const invitations = await import("@/app/api/invitations/route");
const { WEBHOOK_LIMITS } = await import("@/lib/http/webhook-limits");
const { USER_LIMIT } = await import("@/lib/auth/user-limit");
const { createLocalUser, localAuth } = await import("@/lib/auth/local");
const { Limit } = await import("@/lib/rate-limits");
const { RateLimitedError } = await import("@/lib/errors");

let orgId: string;
let userId: string;
beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await member(orgId, "operator")).userId;
});


/** A request as the server hands it to Next: the client address stamped in the private header. */
function from(source: string, req: Request): Request {
  const headers = new Headers(req.headers);
  headers.set(CLIENT_IP_HEADER, source);
  return new Request(req.url, { method: req.method, headers, body: req.body, duplex: "half" } as RequestInit);
}

async function eventCount(callId: string): Promise<number> {
  const [row] = await sql()`select count(*)::int as n from public.call_events where call_id = ${callId}`;
  return row!.n;
}

const refusedBy = (p: Promise<void>) => p.then(() => null, (e: unknown) => e);
const globalPools = globalThis as unknown as { verbatimLimitsSql?: postgres.Sql };

describe("shared limits", () => {
  it("refuse past the window's points with a Retry-After within the window, per key", async () => {
    const limit = new Limit("it_consume", { points: 3, durationSeconds: 60 });
    for (let i = 0; i < 3; i++) await limit.consume("a", "Too many.");
    const refused = await refusedBy(limit.consume("a", "Too many."));
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as InstanceType<typeof RateLimitedError>).retryAfterSeconds).toBeGreaterThan(0);
    expect((refused as InstanceType<typeof RateLimitedError>).retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((refused as Error).message).toMatch(/^Too many\. Try again in \d+ seconds?\.$/);
    await expect(limit.consume("b", "Too many.")).resolves.toBeUndefined();
  });

  it("count one budget for every process: what one instance used, another cannot use again", async () => {
    // Two Limit objects of one name are what two app processes hold: each its own memory, one table.
    const a = new Limit("it_shared", { points: 5, durationSeconds: 60 });
    const b = new Limit("it_shared", { points: 5, durationSeconds: 60 });
    for (let i = 0; i < 3; i++) await a.consume("203.0.113.9", "");
    for (let i = 0; i < 2; i++) await b.consume("203.0.113.9", "");
    expect(await refusedBy(a.consume("203.0.113.9", ""))).toBeInstanceOf(RateLimitedError);
    expect(await refusedBy(b.consume("203.0.113.9", ""))).toBeInstanceOf(RateLimitedError);
    // The stored key is a hash: no client address in clear in the table.
    const keys = await sql()<{ key: string }[]>`select key from private.rate_limits where key like 'it_shared:%'`;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.key).not.toContain("203.0.113.9");
  });

  it("grant exactly the points to a burst that arrives at once, across processes, and refuse the rest", async () => {
    const a = new Limit("it_burst", { points: 20, durationSeconds: 60 });
    const b = new Limit("it_burst", { points: 20, durationSeconds: 60 });
    // 60 requests in one turn of the event loop (one statement per process), half on each.
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => refusedBy((i % 2 ? a : b).consume("burst", ""))));
    expect(outcomes.filter((o) => o === null)).toHaveLength(20);
    expect(outcomes.filter((o) => o instanceof RateLimitedError)).toHaveLength(40);
  });

  it("refuse a key already over its limit from memory, without a statement", async () => {
    const limit = new Limit("it_flood", { points: 2, durationSeconds: 60 });
    for (let i = 0; i < 2; i++) await limit.consume("flood", "");
    const saved = globalPools.verbatimLimitsSql;
    let statements = 0;
    const counting = postgres(requireDatabaseUrl(), { max: 1, onnotice: () => {}, types: {}, debug: () => (statements += 1) });
    globalPools.verbatimLimitsSql = counting;
    try {
      for (let i = 0; i < 100; i++) expect(await refusedBy(limit.consume("flood", ""))).toBeInstanceOf(RateLimitedError);
      expect(statements).toBe(0);
      // Another key still goes to the store (so the counter above would have seen it).
      await limit.consume("not-flooding", "");
      expect(statements).toBeGreaterThan(0);
    } finally {
      globalPools.verbatimLimitsSql = saved;
      await counting.end();
    }
  });
});

describe("webhook limits", () => {
  it("answers a flood of forged callbacks 429, and never refuses a validly signed one for it", async () => {
    const callId = await queuedCall(orgId, userId);
    const forger = "203.0.113.50";
    const { points } = WEBHOOK_LIMITS.failedPerSource.spec;
    const forged = () => signedRequest(statusPath(callId), statusParams(sidOf("CA-forged"), "completed", 9), { key: "PSK_guessed" });
    for (let i = 0; i < points; i++) {
      expect((await status.POST(from(forger, forged()), ctx({ callId }))).status).toBe(403);
    }
    const refused = await status.POST(from(forger, forged()), ctx({ callId }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(500);
    expect((await refused.json()).error).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/Try again in \d+ seconds/) });
    expect(await eventCount(callId)).toBe(0);

    // From now on the flood is refused from memory: not one statement for a hundred more.
    const saved = globalPools.verbatimLimitsSql;
    let statements = 0;
    const counting = postgres(requireDatabaseUrl(), { max: 1, onnotice: () => {}, types: {}, debug: () => (statements += 1) });
    globalPools.verbatimLimitsSql = counting;
    try {
      for (let i = 0; i < 100; i++) expect((await status.POST(from(forger, forged()), ctx({ callId }))).status).toBe(429);
      expect(statements).toBe(0);
    } finally {
      globalPools.verbatimLimitsSql = saved;
      await counting.end();
    }

    // The carrier behind the same address (a shared NAT, or the simulator on loopback) goes on.
    const carrier = await status.POST(from(forger, signedRequest(statusPath(callId), statusParams(sidOf("CA-L1"), "ringing", 1))), ctx({ callId }));
    expect(carrier.status).toBe(204);
    expect(await eventCount(callId)).toBe(1);
  });

  it("lets a real carrier's retries through and refuses replays of one call beyond them, storing nothing", async () => {
    const callId = await queuedCall(orgId, userId);
    const carrier = "198.51.100.2";
    const ringing = statusParams(sidOf("CA-L2"), "ringing", 1);
    const { points } = WEBHOOK_LIMITS.perSubject.spec;
    // Far more than SignalWire's 3 tries of a few dozen callbacks.
    for (let i = 0; i < points; i++) {
      expect((await status.POST(from(carrier, signedRequest(statusPath(callId), ringing)), ctx({ callId }))).status).toBe(204);
    }
    const before = await eventCount(callId);
    const refused = await status.POST(from(carrier, signedRequest(statusPath(callId), statusParams(sidOf("CA-L2"), "completed", 4))), ctx({ callId }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await eventCount(callId)).toBe(before);
    const [call] = await sql()`select status::text from public.calls where id = ${callId}`;
    expect(call!.status).toBe("ringing");

    // Another call from the same carrier is unaffected.
    const other = await queuedCall(orgId, userId);
    expect((await status.POST(from(carrier, signedRequest(statusPath(other), statusParams(sidOf("CA-L3"), "ringing", 1))), ctx({ callId: other }))).status).toBe(204);
  }, 60_000);
});

class MemoryJar implements CookieJar {
  readonly cookies = new Map<string, string>();
  getAll() {
    return [...this.cookies].map(([name, value]) => ({ name, value }));
  }
  set(name: string, value: string) {
    this.cookies.set(name, value);
  }
}

describe("member API limit", () => {
  it("refuses a user over the limit with 429 and Retry-After, and does not act on the request", async () => {
    const email = `limited-${Date.now()}@example.test`;
    const { id } = await createLocalUser(email, "a long enough password");
    await addMembership(orgId, id, "owner");
    const jar = new MemoryJar();
    await localAuth.signIn(jar, { email, password: "a long enough password", ip: "192.0.2.5" });
    testCookies.clear();
    for (const [name, value] of jar.cookies) testCookies.set(name, value);
    const headers = { "x-organization-id": orgId, "content-type": "application/json" };

    const listed = await members.GET(new Request("http://app.test/api/members", { headers }), ctx({}));
    expect(listed.status).toBe(200);

    // Use up the rest of the minute's budget, as a runaway client would.
    for (let i = 1; i < USER_LIMIT.spec.points; i++) await USER_LIMIT.consume(id, "");
    const newcomer = `refused-${Date.now()}@example.test`;
    const refused = await invitations.POST(
      new Request("http://app.test/api/invitations", {
        method: "POST",
        headers,
        body: JSON.stringify({ email: newcomer, role: "viewer" }),
      }),
      ctx({}),
    );
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await refused.json()).error.code).toBe("rate_limited");
    const [invited] = await sql()`select count(*)::int as n from public.invitations where email = ${newcomer}`;
    expect(invited!.n).toBe(0);
  });
});
