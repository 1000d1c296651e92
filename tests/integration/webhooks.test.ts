import { beforeAll, describe, expect, it } from "vitest";
import { configureSignalWire, ctx, INTERNAL_ORIGIN, PROJECT_ID, planFor, PUBLIC_BASE_URL, queuedCall, sidOf, signedRequest, statusParams, statusPath } from "@/tests/support/signalwire";
import { createOrg, member } from "@/tests/support/fixtures";
import { sql } from "@/lib/db/client";
import { keypad, publishSurvey, surveyDraft } from "@/tests/support/surveys";

configureSignalWire();
const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");
const recording = await import("@/app/api/webhooks/signalwire/[callId]/recording/route");
const lamlRoute = await import("@/app/api/laml/[callId]/route");
const gatherRoute = await import("@/app/api/laml/[callId]/gather/route");

let orgId: string;
let userId: string;
beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await member(orgId, "operator")).userId;
});


async function eventsOf(callId: string) {
  return sql()`select kind, dedupe_key from public.call_events where call_id = ${callId} order by id`;
}
async function callRow(callId: string) {
  const [row] = await sql()`select status::text, provider_call_sid, answered_at, ended_at, duration_seconds from public.calls where id = ${callId}`;
  return row!;
}

describe("SignalWire signatures (made by the SDK's own signing function)", () => {
  it("accepts a valid signature over the public URL even though the request arrived at an internal address", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-1"), "ringing", 1)), ctx({ callId }));
    expect(res.status).toBe(204);
    expect(await callRow(callId)).toMatchObject({ status: "ringing", provider_call_sid: sidOf("CA-1") });
  });

  it("accepts the X-Twilio-Signature alias", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-2"), "ringing", 1), { header: "x-twilio-signature" }), ctx({ callId }));
    expect(res.status).toBe(204);
  });

  const rejections: [string, Parameters<typeof signedRequest>[2]][] = [
    ["one altered field", { tamper: (p) => ({ ...p, CallStatus: "completed" }) }],
    ["an added field", { tamper: (p) => ({ ...p, CallDuration: "999" }) }],
    ["another URL (the internal one)", { signedUrl: `${INTERNAL_ORIGIN}/api/webhooks/signalwire/x/status` }],
    ["another URL (another call's path)", { signedUrl: `${PUBLIC_BASE_URL}/api/webhooks/signalwire/00000000-0000-4000-8000-000000000000/status` }],
    ["another key (the API token)", { key: "PT_test_api_token" }],
    ["no header", { header: null }],
  ];
  for (const [name, opts] of rejections) {
    it(`refuses ${name} with 403 and stores nothing`, async () => {
      const callId = await queuedCall(orgId, userId);
      const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-3"), "in-progress", 2), opts), ctx({ callId }));
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe("invalid_signature");
      expect(await eventsOf(callId)).toHaveLength(0);
      expect(await callRow(callId)).toMatchObject({ status: "queued", provider_call_sid: null });
    });
  }

  it("checks the LaML and Gather endpoints' signatures too", async () => {
    const callId = await queuedCall(orgId, userId);
    const bad = await lamlRoute.POST(signedRequest(`/api/laml/${callId}?step=start`, { CallSid: sidOf("CA-4") }, { key: "wrong" }), ctx({ callId }));
    expect(bad.status).toBe(403);
    const badGather = await gatherRoute.POST(signedRequest(`/api/laml/${callId}/gather?q=0&attempt=1`, { Digits: "3" }, { header: null }), ctx({ callId }));
    expect(badGather.status).toBe(403);
    const good = await lamlRoute.POST(signedRequest(`/api/laml/${callId}?step=start`, { CallSid: sidOf("CA-4") }), ctx({ callId }));
    expect(good.status).toBe(200);
    expect(good.headers.get("content-type")).toMatch(/application\/xml/);
    expect(await good.text()).toContain("<Say>This call is recorded.</Say>");
  });
});

describe("bad input gets a clear error and changes nothing", () => {
  it("an unknown call id is 404; a malformed one too", async () => {
    const unknown = "00000000-0000-4000-8000-00000000dead";
    const res = await status.POST(signedRequest(statusPath(unknown), statusParams(sidOf("CA-5"), "ringing", 1)), ctx({ callId: unknown }));
    expect(res.status).toBe(404);
    const malformed = await status.POST(signedRequest(statusPath("not-a-uuid"), statusParams(sidOf("CA-5"), "ringing", 1)), ctx({ callId: "not-a-uuid" }));
    expect(malformed.status).toBe(404);
  });

  it("a body that is not form-encoded is 415", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-6"), "ringing", 1), { contentType: "application/json" }), ctx({ callId }));
    expect(res.status).toBe(415);
    expect(await eventsOf(callId)).toHaveLength(0);
  });

  it("an oversized body is 413", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-7"), "ringing", 1, { Junk: "x".repeat(70_000) })), ctx({ callId }));
    expect(res.status).toBe(413);
    expect(await eventsOf(callId)).toHaveLength(0);
  });

  it("a signed callback without CallStatus is 400", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await status.POST(signedRequest(statusPath(callId), { CallSid: sidOf("CA-8") }), ctx({ callId }));
    expect(res.status).toBe(400);
    expect(await eventsOf(callId)).toHaveLength(0);
  });

  it("a CallSid that is not this call's is 409 and stores nothing", async () => {
    const callId = await queuedCall(orgId, userId);
    await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-9"), "initiated", 0)), ctx({ callId }));
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-other"), "completed", 1)), ctx({ callId }));
    expect(res.status).toBe(409);
    expect(await eventsOf(callId)).toHaveLength(1);
    expect((await callRow(callId)).status).toBe("initiated");
  });

  it("a LaML step that is not one of the flow's is 400 or 422", async () => {
    const callId = await queuedCall(orgId, userId);
    expect((await lamlRoute.POST(signedRequest(`/api/laml/${callId}?step=bogus`, {}), ctx({ callId }))).status).toBe(400);
    expect((await lamlRoute.POST(signedRequest(`/api/laml/${callId}?step=whisper`, {}), ctx({ callId }))).status).toBe(422);
  });

  it("a recording callback with a non-https RecordingUrl is 400 and enqueues nothing", async () => {
    const callId = await queuedCall(orgId, userId);
    const res = await recording.POST(
      signedRequest(`/api/webhooks/signalwire/${callId}/recording`, {
        CallSid: sidOf("CA-10"), RecordingSid: sidOf("RE-bad"), RecordingStatus: "completed", RecordingUrl: "http://169.254.169.254/latest",
      }),
      ctx({ callId }),
    );
    expect(res.status).toBe(400);
    const [jobs] = await sql()`select count(*)::int as n from graphile_worker._private_jobs where key = ${'ingest:' + sidOf("RE-bad")}`;
    expect(jobs!.n).toBe(0);
  });

  it("a RecordingUrl anywhere but the carrier's host is 400 and enqueues nothing; on it, the recording is queued (issue 17 §5)", async () => {
    const post = async (callId: string, sid: string, url: string) => recording.POST(
      signedRequest(`/api/webhooks/signalwire/${callId}/recording`, { CallSid: sidOf(`CA-${sid}`), RecordingSid: sidOf(sid), RecordingStatus: "completed", RecordingUrl: url }),
      ctx({ callId }),
    );
    const path = (sid: string) => `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Recordings/${sidOf(sid)}`;
    const hostile = [
      "https://127.0.0.1:54329", "https://[::1]", "https://2130706433", "https://0x7f.1", "https://localhost",
      "https://10.0.0.5", "https://169.254.169.254", "https://[fd00::1]", "https://evil.example",
      "https://example.signalwire.com.evil.example", "https://example.signalwire.com:8443", "https://user:pw@example.signalwire.com",
      "http://example.signalwire.com",
    ];
    for (const [i, origin] of hostile.entries()) {
      const callId = await queuedCall(orgId, userId);
      const sid = `RE-host-${i}`;
      const res = await post(callId, sid, `${origin}${path(sid)}`);
      expect(res.status, origin).toBe(400);
      expect((await res.json()).error, origin).toMatchObject({ code: "invalid_request", message: "RecordingUrl: The recording is not on the carrier's host; it was not fetched." });
      const [jobs] = await sql()`select count(*)::int as n from graphile_worker._private_jobs where key = ${`ingest:${sidOf(sid)}`}`;
      expect(jobs!.n, origin).toBe(0);
    }
    const callId = await queuedCall(orgId, userId);
    expect((await post(callId, "RE-host-ok", `https://EXAMPLE.signalwire.com${path("RE-host-ok")}`)).status).toBe(204);
    const [queued] = await sql()`select count(*)::int as n from graphile_worker._private_jobs where key = ${`ingest:${sidOf("RE-host-ok")}`}`;
    expect(queued!.n).toBe(1);
  });
});

describe("state machine through the webhook", () => {
  it("never moves backwards and keeps a final state final", async () => {
    const callId = await queuedCall(orgId, userId);
    for (const [s, seq] of [["ringing", 1], ["in-progress", 2], ["completed", 3], ["ringing", 1], ["busy", 4]] as const) {
      const extra: Record<string, string> = s === "completed" ? { CallDuration: "42" } : {};
      expect((await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-11"), s, seq, extra)), ctx({ callId }))).status).toBe(204);
    }
    expect(await callRow(callId)).toMatchObject({ status: "completed", duration_seconds: 42 });
    // The repeated `ringing` is stored once; the late `busy` is on the timeline but changed nothing.
    expect((await eventsOf(callId)).map((e) => e.dedupe_key)).toEqual([
      `status:${sidOf("CA-11")}:ringing:1`, `status:${sidOf("CA-11")}:in-progress:2`, `status:${sidOf("CA-11")}:completed:3`, `status:${sidOf("CA-11")}:busy:4`,
    ]);
  });

  it("stores `answered` and `in-progress` as two events, not one", async () => {
    const callId = await queuedCall(orgId, userId);
    await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-12"), "answered", 2)), ctx({ callId }));
    await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("CA-12"), "in-progress", 3)), ctx({ callId }));
    expect(await eventsOf(callId)).toHaveLength(2);
    expect((await callRow(callId)).status).toBe("in_progress");
  });
});

describe("survey through the Gather action", () => {
  it("answered 3-5-9 stores 3 and 5, re-prompts once for the 9, then stores invalid and says goodbye", async () => {
    const survey = await publishSurvey(orgId, userId, surveyDraft({
      thankYou: "Thanks, goodbye.",
      questions: [1, 2, 3].map((n) => keypad(`q${n}`, `Question ${n}, press 1 to 5.`)),
    }));
    const callId = await queuedCall(orgId, userId, planFor({ record: false, disclosure: null, survey }));
    const gather = async (q: number, attempt: number, digits: string) => {
      const res = await gatherRoute.POST(
        signedRequest(`/api/laml/${callId}/gather?q=${q}&attempt=${attempt}`, { CallSid: sidOf("CA-13"), Digits: digits }),
        ctx({ callId }),
      );
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await gather(0, 1, "3")).toContain("Question 2");
    expect(await gather(1, 1, "5")).toContain("Question 3");
    const reprompt = await gather(2, 1, "9");
    expect(reprompt).toContain("Sorry, that is not a valid answer.");
    expect(reprompt).toContain("q=2&amp;attempt=2");
    // The provider repeats a Gather action: same answer, nothing new stored.
    expect(await gather(1, 1, "5")).toContain("Question 3");
    const done = await gather(2, 2, "9");
    expect(done).toContain("Thanks, goodbye.");
    expect(done).toContain("<Hangup/>");
    const answers = await sql()`select question_index, answer, attempts from public.survey_answers where call_id = ${callId} order by question_index`;
    expect(answers.map((a) => [a.question_index, a.answer, a.attempts])).toEqual([[0, "3", 1], [1, "5", 1], [2, "invalid", 2]]);
  });
});
