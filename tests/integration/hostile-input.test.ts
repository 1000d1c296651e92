import { beforeAll, describe, expect, it, vi } from "vitest";
import { createLocalUser, localAuth } from "@/lib/auth/local";
import { sql } from "@/lib/db/client";
import { signWebhook } from "@/scripts/simulator";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { testCookies } from "@/tests/support/next-headers";
import {
  configureSignalWire, ctx, INTERNAL_ORIGIN, PUBLIC_BASE_URL, queuedCall, sidOf, SIGNING_KEY, signedRequest,
} from "@/tests/support/signalwire";

/**
 * The defects of issue 6 (classes 2 and 4), one test each: values JavaScript accepts but
 * Postgres cannot store, and signed callbacks re-split into other fields. Each of these answered
 * 500 or stored a new timeline row before the shared parsers validated what crosses into Postgres.
 */
vi.mock("next/headers", () => import("@/tests/support/next-headers"));

configureSignalWire({ CARRIER_SIMULATOR_URL: "http://127.0.0.1:3999" });
const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");
const recording = await import("@/app/api/webhooks/signalwire/[callId]/recording/route");
const signIn = await import("@/app/api/auth/sign-in/route");
const voiceConfig = await import("@/app/api/voice-config/route");

let orgId: string;
let userId: string;
const EMAIL = "hostile-owner@example.test";
const PASSWORD = "a perfectly long password";

beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await createLocalUser(EMAIL, PASSWORD)).id;
  await addMembership(orgId, userId, "owner");
  await sql()`insert into public.voice_configs (organization_id) values (${orgId})`;
});

const statusPath = (callId: string) => `/api/webhooks/signalwire/${callId}/status`;
const statusParams = (sid: string, extra: Record<string, string> = {}) => ({
  AccountSid: "11111111-2222-4333-8444-555555555555",
  CallSid: sid,
  CallStatus: "ringing",
  Direction: "outbound-api",
  From: "+14155550100",
  SequenceNumber: "1",
  Timestamp: "Sat, 21 Nov 2026 12:00:01 GMT",
  To: "+14155550199",
  ...extra,
});

async function events(callId: string) {
  return sql()<{ dedupe_key: string; payload: Record<string, string>; occurred_at: Date }[]>`
    select dedupe_key, payload, occurred_at from public.call_events where call_id = ${callId} order by id`;
}

/** Send `sent` with the signature computed over `signed` (a re-split verifies exactly when the concatenations match). */
function resplit(path: string, signed: Record<string, string>, sent: Record<string, string>): Request {
  const signature = signWebhook(SIGNING_KEY, `${PUBLIC_BASE_URL}${path}`, signed);
  expect(signWebhook(SIGNING_KEY, `${PUBLIC_BASE_URL}${path}`, sent)).toBe(signature);
  return new Request(`${INTERNAL_ORIGIN}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signature },
    body: new URLSearchParams(sent).toString(),
  });
}

describe("class 2: a signed callback with values Postgres cannot hold", () => {
  it("a Timestamp JavaScript accepts but Postgres cannot store: 2xx, stored once, the time treated as absent", async () => {
    const callId = await queuedCall(orgId, userId);
    const params = statusParams(sidOf("CA-far-past"), { Timestamp: "-271821-04-20T00:00:00.000Z" });
    for (let i = 0; i < 2; i += 1) {
      expect((await status.POST(signedRequest(statusPath(callId), params), ctx({ callId }))).status).toBe(204);
    }
    const stored = await events(callId);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.payload.Timestamp).toBeUndefined();
    expect(Math.abs(stored[0]!.occurred_at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("a recording callback whose RecordingStartTime is out of range is stored once too", async () => {
    const callId = await queuedCall(orgId, userId);
    const params = {
      CallSid: sidOf("CA-rec-time"), RecordingSid: sidOf("RE-rec-time"), RecordingStatus: "absent",
      RecordingStartTime: "Fri, 13 Sep 275760 00:00:00 GMT",
    };
    const path = `/api/webhooks/signalwire/${callId}/recording`;
    expect((await recording.POST(signedRequest(path, params), ctx({ callId }))).status).toBe(204);
    expect(await events(callId)).toHaveLength(1);
  });

  it("a NUL in an optional field: 2xx, stored once without that field", async () => {
    const callId = await queuedCall(orgId, userId);
    const params = statusParams(sidOf("CA-nul-optional"), { AnsweredBy: "human\u0000", CallerName: "Eve\u0000" });
    for (let i = 0; i < 2; i += 1) {
      expect((await status.POST(signedRequest(statusPath(callId), params), ctx({ callId }))).status).toBe(204);
    }
    const stored = await events(callId);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.payload).not.toHaveProperty("AnsweredBy");
    expect(stored[0]!.payload).not.toHaveProperty("CallerName");
    expect(stored[0]!.payload).toMatchObject({ CallStatus: "ringing", SequenceNumber: "1" });
  });

  it("a NUL in CallSid: 4xx with the error shape, nothing stored", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(`${sidOf("CA-nul")}\u0000`)), ctx({ callId }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "invalid_request", message: expect.stringContaining("CallSid"), requestId: expect.any(String) });
    expect(await events(callId)).toHaveLength(0);
    const [call] = await sql()`select status::text, provider_call_sid from public.calls where id = ${callId}`;
    expect(call).toMatchObject({ status: "queued", provider_call_sid: null });
  });
});

describe("class 4: a signature over concatenated fields cannot be re-split into a new event", () => {
  it("CallStatus=ringingDirectionoutbound-api verifies, is acknowledged, and adds no timeline row", async () => {
    const callId = await queuedCall(orgId, userId);
    const genuine = statusParams(sidOf("CA-resplit"));
    expect((await status.POST(signedRequest(statusPath(callId), genuine), ctx({ callId }))).status).toBe(204);
    const { Direction: _direction, ...rest } = genuine;
    const forged = { ...rest, CallStatus: "ringingDirectionoutbound-api" };
    const res = await status.POST(resplit(statusPath(callId), genuine, forged), ctx({ callId }));
    expect(res.status).toBe(204);
    expect((await events(callId)).map((e) => e.dedupe_key)).toEqual([`status:${sidOf("CA-resplit")}:ringing:1`]);
  });

  it("a field that swallows SequenceNumber (From=+1…SequenceNumber1) adds no row either", async () => {
    const callId = await queuedCall(orgId, userId);
    const genuine = statusParams(sidOf("CA-resplit-seq"));
    expect((await status.POST(signedRequest(statusPath(callId), genuine), ctx({ callId }))).status).toBe(204);
    const { SequenceNumber: _seq, ...rest } = genuine;
    const forged = { ...rest, From: `${genuine.From}SequenceNumber${genuine.SequenceNumber}` };
    expect((await status.POST(resplit(statusPath(callId), genuine, forged), ctx({ callId }))).status).toBe(204);
    expect(await events(callId)).toHaveLength(1);
  });

  it("a RecordingUrl cut short by a re-split (it no longer names the RecordingSid) is 400 and enqueues nothing", async () => {
    const callId = await queuedCall(orgId, userId);
    const recordingSid = sidOf("RE-cut");
    const url = `http://127.0.0.1:3999/api/laml/2010-04-01/Accounts/x/Recordings/${recordingSid}`;
    const genuine = { CallSid: sidOf("CA-cut"), RecordingSid: recordingSid, RecordingStatus: "completed", RecordingUrl: url };
    // "…/Recordings/RE12" + a new key holding the rest of the sid, cut where it starts with a
    // lowercase letter so that it sorts after RecordingUrl and the signed string is unchanged.
    const cut = url.length - 32 + [...url.slice(-32)].findIndex((ch) => /[a-f]/.test(ch));
    const forged = { ...genuine, RecordingUrl: url.slice(0, cut), [url.slice(cut)]: "" };
    const path = `/api/webhooks/signalwire/${callId}/recording`;
    const res = await recording.POST(resplit(path, genuine, forged), ctx({ callId }));
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("RecordingUrl");
    expect(await events(callId)).toHaveLength(0);
    const [jobs] = await sql()`select count(*)::int as n from graphile_worker._private_jobs where key = ${`ingest:${recordingSid}`}`;
    expect(jobs!.n).toBe(0);
  });

  it("an unknown status is acknowledged and not stored; the call does not move", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-unknown"), { CallStatus: "ringing2" })), ctx({ callId }));
    expect(res.status).toBe(204);
    expect(await events(callId)).toHaveLength(0);
    const [call] = await sql()`select status::text, provider_call_sid from public.calls where id = ${callId}`;
    expect(call).toMatchObject({ status: "queued", provider_call_sid: null });
  });

  it("what reaches the timeline is the known, validated fields only (no AccountSid, URLs, unknown keys, or the call's numbers)", async () => {
    const callId = await queuedCall(orgId, userId);
    const params = statusParams(sidOf("CA-known"), { CallbackUrl: "https://example.com/x", Junk: "whatever", CallDuration: "99999999999" });
    expect((await status.POST(signedRequest(statusPath(callId), params), ctx({ callId }))).status).toBe(204);
    const [stored] = await events(callId);
    expect(Object.keys(stored!.payload).sort()).toEqual(["CallSid", "CallStatus", "Direction", "SequenceNumber", "Timestamp"]);
    expect(JSON.stringify(stored!.payload)).not.toContain(params.To);
  });
});

describe("class 2: JSON bodies and stored headers", () => {
  const json = (path: string, body: string, headers: Record<string, string> = {}, method = "POST") =>
    new Request(`${INTERNAL_ORIGIN}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body });

  it("a NUL in sign-in JSON is 400 naming the field", async () => {
    testCookies.clear();
    const res = await signIn.POST(json("/api/auth/sign-in", JSON.stringify({ email: "a\u0000@example.test", password: "x" })), ctx({}));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: "invalid_request", message: expect.stringContaining("email"), requestId: expect.any(String) });
  });

  it("a NUL in a JSON key is 400 too", async () => {
    const res = await signIn.POST(json("/api/auth/sign-in", `{"email":"${EMAIL}","password":"${PASSWORD}","x\\u0000":1}`), ctx({}));
    expect(res.status).toBe(400);
  });

  it("a NUL in voice-config JSON is 400 naming the field, and nothing changes", async () => {
    testCookies.clear();
    await localAuth.signIn({ getAll: () => [], set: (name, value) => testCookies.set(name, value) }, { email: EMAIL, password: PASSWORD, ip: "198.51.100.7" });
    const [before] = await sql()`select version, disclosure_text from public.voice_configs where organization_id = ${orgId}`;
    const res = await voiceConfig.PUT(
      json("/api/voice-config", JSON.stringify({ disclosureText: "Recorded\u0000." }), { "x-organization-id": orgId }, "PUT"),
      ctx({}),
    );
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("disclosureText");
    const [after] = await sql()`select version, disclosure_text from public.voice_configs where organization_id = ${orgId}`;
    expect(after).toEqual(before);
  });

  it("a survey version beyond int4 is 400, not a later 500 when an answer is stored", async () => {
    const survey = { id: "5a1e0000-0000-4000-8000-00000000c5a7", version: 2 ** 31 };
    const res = await voiceConfig.PUT(json("/api/voice-config", JSON.stringify({ survey }), { "x-organization-id": orgId }, "PUT"), ctx({}));
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("survey.version");
  });

  it("a User-Agent with NUL and control characters at sign-in signs in and stores it cleaned", async () => {
    testCookies.clear();
    const req = json("/api/auth/sign-in", JSON.stringify({ email: EMAIL, password: PASSWORD }), { "x-forwarded-for": "198.51.100.8" });
    // Fetch's Headers refuse a NUL, but a lenient proxy may pass one on: hand the route such a header.
    const headers = new Headers(req.headers);
    const get = headers.get.bind(headers);
    Object.defineProperty(headers, "get", { value: (name: string) => (name.toLowerCase() === "user-agent" ? "Mozilla\u0000/5.0\u0001 (X11)\ud800" : get(name)) });
    Object.defineProperty(req, "headers", { value: headers });
    const res = await signIn.POST(req, ctx({}));
    expect(res.status).toBe(200);
    const [row] = await sql()`select user_agent from auth.sessions where user_id = ${userId} order by created_at desc limit 1`;
    expect(row!.user_agent).toBe("Mozilla/5.0 (X11)\ufffd");
  });
});
