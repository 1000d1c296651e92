import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerAbsentRecording } from "@/lib/calls/recordings";
import { requireDatabaseUrl } from "@/lib/config";
import { asService } from "@/lib/db";
import type { CarrierSimulator } from "@/scripts/simulator";
import { addMembership, createOrg, insertCall, insertCallEvent } from "@/tests/support/fixtures";
import { clearSignalWire, configureSignalWire, startTestCarrier } from "@/tests/support/signalwire";
import { Browser, as, call, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * How many statements, and network round trips, a member request costs (issue 8): one
 * transaction whose first statement checks the session and resolves the membership, then the
 * handler's reads, pipelined where independent. Counted on the app's own pool, swapped for one
 * with postgres.js's `debug` hook (called as each statement goes to the connection). Statements
 * issued in the same tick leave in one write (postgres.js flushes on setImmediate): a round
 * trip is one such burst. BEGIN and COMMIT are statements and round trips of their own.
 * Counted on a warm connection, as a running app's are: postgres.js prepares each statement
 * on a connection the first time it runs there (one more trip, then never again). The per-user
 * request limit is not on this pool: its statement goes on the limits' own connections
 * (lib/rate-limits, shared by every app process), sent beside the transaction's first statement
 * and batched with the other limits the process checks in that tick.
 */
const { GET: listRoute, POST: placeRoute } = await import("@/app/api/calls/route");
const { GET: detailRoute } = await import("@/app/api/calls/[id]/route");
const { localAuth } = await import("@/lib/auth/local");
const { memberRoute } = await import("@/lib/http/member-route");

const LIST = { statements: 4, roundTrips: 3 };
// The detail's 8th statement reads the transcription request and its artifacts (one statement, same round trip).
const DETAIL = { statements: 8, roundTrips: 3 };
// Roles who may see evidence (analysts, admins, owners) read the call's sealed manifest versions
// and its custody record too, for the call's timeline: two more statements in the same round trip.
const DETAIL_WITH_EVIDENCE = { statements: 10, roundTrips: 3 };
/**
 * Placing a call: authorization, the insert's transaction, the carrier, the dial's transaction.
 * The do-not-call look-up rides with the insert transaction's other reads (one more statement,
 * no more round trips).
 */
const PLACE = { statements: 15, roundTrips: 6 };

const statements: string[] = [];
let roundTrips = 0;
let burstOpen = false;
const counted = postgres(requireDatabaseUrl(), {
  max: 1,
  onnotice: () => {},
  types: {},
  debug: (_connection, query) => {
    statements.push(query);
    if (!burstOpen) {
      burstOpen = true;
      roundTrips += 1;
      setImmediate(() => (burstOpen = false));
    }
  },
});
const pool = globalThis as unknown as { verbatimSql?: postgres.Sql };

let orgId: string;
let callId: string;
let operator: Awaited<ReturnType<typeof signedInUser>>;
let analyst: Awaited<ReturnType<typeof signedInUser>>;
let carrier: CarrierSimulator;

async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[]; roundTrips: number }> {
  const saved = pool.verbatimSql;
  pool.verbatimSql = counted;
  statements.length = 0;
  roundTrips = 0;
  try {
    const result = await fn();
    return { result, statements: [...statements], roundTrips };
  } finally {
    pool.verbatimSql = saved;
  }
}

beforeAll(async () => {
  carrier = await startTestCarrier();
  configureSignalWire({ CARRIER_SIMULATOR_URL: carrier.url });
  orgId = await createOrg("insights");
  await asService((tx) => tx`insert into public.voice_configs (organization_id) values (${orgId})`);
  operator = await signedInUser();
  await addMembership(orgId, operator.userId, "operator");
  analyst = await signedInUser();
  await addMembership(orgId, analyst.userId, "analyst");
  for (let i = 0; i < 3; i++) await insertCall(orgId, operator.userId);
  callId = await insertCall(orgId, operator.userId);
  await insertCallEvent(orgId, callId);
  await asService((tx) => registerAbsentRecording(tx, { id: callId, orgId }, `RE${crypto.randomUUID().replaceAll("-", "")}`, null));
});

afterAll(async () => {
  await carrier?.stop();
  clearSignalWire();
  await counted.end({ timeout: 5 });
});

describe("member requests: statements and round trips", () => {
  beforeAll(async () => {
    await counting(async () => {
      await call(operator.browser, listRoute, { path: "/api/calls?limit=50" });
      await call(operator.browser, detailRoute, { path: `/api/calls/${callId}`, params: { id: callId } });
      await call(analyst.browser, detailRoute, { path: `/api/calls/${callId}`, params: { id: callId } });
    });
  });

  it(`a call's detail with its evidence timeline: ${DETAIL_WITH_EVIDENCE.statements} statements in ${DETAIL_WITH_EVIDENCE.roundTrips} round trips`, async () => {
    const { result, statements, roundTrips } = await counting(() => call(analyst.browser, detailRoute, { path: `/api/calls/${callId}`, params: { id: callId } }));
    expect(result.status).toBe(200);
    const detail = result.body.call as { manifests: unknown[] | null; custody: unknown[] | null };
    expect(detail.manifests).toEqual([]);
    expect(detail.custody).toEqual([]);
    expect(statements.filter((s) => /^\s*begin/i.test(s))).toHaveLength(1);
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(DETAIL_WITH_EVIDENCE.statements);
    expect(roundTrips).toBeLessThanOrEqual(DETAIL_WITH_EVIDENCE.roundTrips);
  });

  it(`the call list: ${LIST.statements} statements in ${LIST.roundTrips} round trips, one transaction`, async () => {
    const { result, statements, roundTrips } = await counting(() => call(operator.browser, listRoute, { path: "/api/calls?limit=50" }));
    expect(result.status).toBe(200);
    const calls = result.body.calls as { id: string; recording: { status: string } | null }[];
    expect(calls).toHaveLength(4);
    expect(calls.find((c) => c.id === callId)?.recording).toMatchObject({ status: "absent" });
    expect(statements.filter((s) => /^\s*begin/i.test(s))).toHaveLength(1);
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(LIST.statements);
    expect(roundTrips).toBeLessThanOrEqual(LIST.roundTrips);
  });

  it(`a call's detail: ${DETAIL.statements} statements in ${DETAIL.roundTrips} round trips, one transaction`, async () => {
    const { result, statements, roundTrips } = await counting(() => call(operator.browser, detailRoute, { path: `/api/calls/${callId}`, params: { id: callId } }));
    expect(result.status).toBe(200);
    const detail = result.body.call as { events: unknown[]; recordings: unknown[]; recording: unknown };
    expect(detail.events).toHaveLength(1);
    expect(detail.recordings).toHaveLength(1);
    expect(detail.recording).toMatchObject({ status: "absent" });
    expect(statements.filter((s) => /^\s*begin/i.test(s))).toHaveLength(1);
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(DETAIL.statements);
    expect(roundTrips).toBeLessThanOrEqual(DETAIL.roundTrips);
  });

  it(`placing a call: ${PLACE.statements} statements in ${PLACE.roundTrips} round trips around the carrier request`, async () => {
    const place = (to: string) => call(operator.browser, placeRoute, { method: "POST", path: "/api/calls", body: { to }, orgId, headers: { "idempotency-key": crypto.randomUUID() } });
    const to = "+14155550188";
    carrier.setScenario(to, { kind: "silent" });
    await counting(() => place(to)); // warm: prepare the statements on the counted connection
    const { result, statements, roundTrips } = await counting(() => place(to));
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(PLACE.statements);
    expect(roundTrips).toBeLessThanOrEqual(PLACE.roundTrips);
    // The dial's writes and the caller's read leave together; Postgres runs them in the order
    // sent, so the read (as the caller) sees the write (as the service).
    const update = statements.findIndex((s) => /update public\.calls set provider_call_sid/.test(s));
    const read = statements.findLastIndex((s) => /from public\.calls c where/.test(s));
    expect(update).toBeGreaterThan(-1);
    expect(read).toBeGreaterThan(update);
    const call_ = (result.body as { call: { createdAt: string; updatedAt: string } }).call;
    expect(Date.parse(call_.updatedAt)).toBeGreaterThan(Date.parse(call_.createdAt));
  });

  it("a statement that failed fails the request even when the handler caught its error (as postgres.js's begin does)", async () => {
    const swallowing = memberRoute("operations.view", async ({ tx }) => {
      await tx`select 1 / 0`.catch(() => undefined);
      return Response.json({ ok: true });
    });
    const answer = await call(operator.browser, swallowing, { orgId });
    expect(answer.status).toBe(500);
  });

  it("a signed-out session's token is refused in that same first statement: 401, nothing else read", async () => {
    const copy = new Browser();
    for (const { name, value } of operator.browser.getAll()) copy.set(name, value);
    await as(copy, () => localAuth.signOut(copy));
    const { result, statements } = await counting(() => call(operator.browser, listRoute, { path: "/api/calls" }));
    expect(result.status).toBe(401);
    expect(result.body.error).toMatchObject({ code: "unauthenticated" });
    expect(statements.filter((s) => /from public\.calls/i.test(s))).toHaveLength(0);
  });
});
