import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RestClient } from "@signalwire/compatibility-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSpeechMetadata, type CarrierSimulator } from "@/scripts/simulator";
import { scoreTranscript } from "@/lib/surveys/scorer";
import { API_TOKEN, PROJECT_ID, SIGNING_KEY, startTestCarrier } from "@/tests/support/signalwire";
import { originHttpClient } from "@/lib/telephony/origin-http-client";
import { callUrls } from "@/lib/telephony/urls";

/**
 * The carrier simulator, driven through the real SignalWire SDK (its httpClient pointed at the
 * simulator) and answered by a small stand-in app that checks every webhook's signature with
 * the SDK's own validateRequest, the way the real routes will.
 */

const FROM = "+12025550100";

interface Received {
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
}

let sim: CarrierSimulator;
let app: Server;
let appUrl: string;
const received: Received[] = [];
const badSignatures: string[] = [];
/** Status webhooks for these call ids answer 500 this many more times. */
const failStatus = new Map<string, number>();

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

/** LaML written by hand, the way the app's builder is meant to shape it (lib/telephony/laml.ts). */
function lamlFor(callId: string, step: string | null, gatherQuestion: number | null): string {
  const urls = callUrls(appUrl, callId);
  const flow = callId.split("-")[0];
  if (flow === "speech") {
    // A speech question, then one that takes keys or speech, then goodbye (as lib/telephony/laml.ts shapes them).
    if (gatherQuestion === null) {
      return xml(`<Gather input="speech" speechTimeout="auto" timeout="6" actionOnEmptyResult="true" action="${esc(urls.gather(0, 1))}">` +
        `<Say>What could we do better?</Say></Gather>`);
    }
    if (gatherQuestion === 0) {
      return xml(`<Gather input="dtmf speech" numDigits="1" speechTimeout="auto" timeout="6" actionOnEmptyResult="true" action="${esc(urls.gather(1, 1))}">` +
        `<Say>Press or say a number from one to five.</Say></Gather>`);
    }
    return xml("<Say>Thank you. Goodbye.</Say><Hangup/>");
  }
  if (gatherQuestion !== null) {
    if (gatherQuestion === 0) {
      return xml(
        `<Gather input="dtmf" numDigits="1" timeout="5" actionOnEmptyResult="true" action="${esc(urls.gather(1, 1))}">` +
          `<Say>On a scale of one to five, how easy was it to book?</Say></Gather>`,
      );
    }
    return xml("<Say>Thank you. Goodbye.</Say><Hangup/>");
  }
  if (flow === "direct") {
    if (step === "start") {
      const response = new RestClient.LaML.VoiceResponse();
      response.say("This call is recorded for quality and evidence.");
      response.record({
        action: urls.laml("after-record"),
        recordingStatusCallback: urls.recording(),
        recordingStatusCallbackEvent: ["completed"],
        maxLength: 30,
        playBeep: true,
      });
      return response.toString();
    }
    if (step === "after-record") {
      const response = new RestClient.LaML.VoiceResponse();
      const gather = response.gather({ input: ["dtmf"], numDigits: 1, action: urls.gather(0, 1), actionOnEmptyResult: true });
      gather.say("Press a number from one to five: how satisfied were you?");
      return response.toString();
    }
  }
  if (flow === "bridge" || flow === "bridgebusy") {
    const target = flow === "bridge" ? "+13125550142" : "+15005550001";
    if (step === "start") {
      return xml(
        `<Say>This call is recorded. Connecting you now.</Say>` +
          `<Dial record="record-from-answer-dual" answerOnBridge="true" callerId="${FROM}" ` +
          `action="${esc(urls.laml("after-dial"))}" recordingStatusCallback="${esc(urls.recording())}">` +
          `<Number url="${esc(urls.laml("whisper"))}">${target}</Number></Dial>`,
      );
    }
    if (step === "whisper") return xml("<Say>This call is recorded.</Say>");
    if (step === "after-dial") return xml("<Say>The other party has left the call.</Say><Hangup/>");
  }
  // simple-…, dup-…, reorder-…, flaky-…, slow-…
  return xml("<Say>Hello from Verbatim.</Say><Pause length=\"1\"/><Hangup/>");
}

function esc(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

async function startApp(): Promise<void> {
  app = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const params: Record<string, string> = {};
    for (const [key, value] of form) params[key] = value;
    // Verify against the public base URL + path + query, never the Host header (docs/webhooks.md).
    const url = `${appUrl}${req.url}`;
    const signature = String(req.headers["x-signalwire-signature"] ?? "");
    if (!RestClient.validateRequest(SIGNING_KEY, signature, url, params)) {
      badSignatures.push(`${req.method} ${url}`);
      res.writeHead(403).end();
      return;
    }
    const parsed = new URL(url);
    received.push({ path: parsed.pathname, query: parsed.searchParams, params });

    const status = /^\/api\/webhooks\/signalwire\/([^/]+)\/(status|recording)$/.exec(parsed.pathname);
    if (status) {
      const failures = failStatus.get(status[1]!) ?? 0;
      if (status[2] === "status" && failures > 0) {
        failStatus.set(status[1]!, failures - 1);
        res.writeHead(500).end("try again");
        return;
      }
      res.writeHead(204).end();
      return;
    }
    const laml = /^\/api\/laml\/([^/]+)(\/gather)?$/.exec(parsed.pathname);
    if (laml) {
      const callId = laml[1]!;
      if (callId.startsWith("broken-")) {
        res.writeHead(500).end("boom");
        return;
      }
      if (callId.startsWith("slow-")) await new Promise((resolve) => setTimeout(resolve, 3000));
      const question = laml[2] ? Number(parsed.searchParams.get("q")) : null;
      res.writeHead(200, { "Content-Type": "application/xml" }).end(lamlFor(callId, parsed.searchParams.get("step"), question));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

function client(token = API_TOKEN) {
  return RestClient(PROJECT_ID, token, { signalwireSpaceUrl: "example.signalwire.com", httpClient: originHttpClient(sim.url) });
}

async function placeCall(callId: string, to: string, extra: Record<string, unknown> = {}) {
  const urls = callUrls(appUrl, callId);
  return client().calls.create({
    to,
    from: FROM,
    url: urls.laml("start"),
    method: "POST",
    statusCallback: urls.status(),
    statusCallbackMethod: "POST",
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    ...extra,
  });
}

async function settled(sid: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const call = sim.calls().find((c) => c.sid === sid);
    if (call?.settled) return call;
    if (Date.now() > deadline) throw new Error(`call ${sid} did not settle: ${JSON.stringify(call)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const forCall = (callId: string, kind: string) =>
  received.filter((r) => r.path.startsWith(`/api/${kind === "laml" ? "laml" : "webhooks/signalwire"}/${callId}`) && (kind === "laml" || r.path.endsWith(`/${kind}`)));

const statusesOf = (callId: string) => forCall(callId, "status").map((r) => r.params.CallStatus);

beforeAll(async () => {
  await startApp();
  sim = await startTestCarrier({ delayMs: 5, retryDelayMs: 5 });
});

afterAll(async () => {
  await sim?.stop();
  await new Promise((resolve) => app?.close(resolve));
});

describe("carrier simulator", () => {
  it("plays a direct call: statuses in order, a real recording, and a two-question survey", async () => {
    sim.setScenario("+13125550101", { kind: "survey", digits: ["4", "2"], reply: "Yes, we can see you on Tuesday at ten." });
    const call = await placeCall("direct-1", "+13125550101");
    expect(call.status).toBe("queued");
    expect(call.direction).toBe("outbound-api");
    expect(call.accountSid).toBe(PROJECT_ID);
    expect(call.sid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(call.dateCreated).toBeInstanceOf(Date);
    const snapshot = await settled(call.sid);
    expect(snapshot.error).toBeUndefined();
    expect(snapshot.warnings).toEqual([]);

    const statuses = forCall("direct-1", "status");
    expect(statuses.map((r) => r.params.CallStatus)).toEqual(["initiated", "ringing", "in-progress", "completed"]);
    expect(statuses.map((r) => Number(r.params.SequenceNumber))).toEqual([0, 1, 2, 3]);
    for (const s of statuses) {
      expect(s.params).toMatchObject({ CallSid: call.sid, AccountSid: PROJECT_ID, From: FROM, To: "+13125550101", Direction: "outbound-api", ApiVersion: "2010-04-01", CallbackSource: "call-progress-events" });
      expect(Number.isNaN(Date.parse(s.params.Timestamp!))).toBe(false);
    }
    expect(Number(statuses[3]!.params.CallDuration)).toBeGreaterThan(0);

    // LaML: start, after-record (from the Record action), two Gather actions with the keys pressed.
    const laml = forCall("direct-1", "laml");
    expect(laml.map((r) => r.query.get("step") ?? `gather q=${r.query.get("q")}`)).toEqual(["start", "after-record", "gather q=0", "gather q=1"]);
    expect(laml[0]!.params).toMatchObject({ CallSid: call.sid, CallStatus: "in-progress", Direction: "outbound-api" });
    expect(laml[1]!.params.Digits).toBe("hangup");
    expect(laml[2]!.params.Digits).toBe("4");
    expect(laml[3]!.params.Digits).toBe("2");

    const [recordingCallback] = forCall("direct-1", "recording");
    expect(recordingCallback!.params).toMatchObject({ CallSid: call.sid, AccountSid: PROJECT_ID, RecordingStatus: "completed", RecordingChannels: "1", RecordingSource: "RecordVerb" });
    const { RecordingSid: recordingSid, RecordingUrl: recordingUrl, RecordingDuration: duration } = recordingCallback!.params;
    expect(recordingUrl).toBe(`${sim.url}/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Recordings/${recordingSid}`);
    expect(Number(duration)).toBeGreaterThanOrEqual(2);
    expect(laml[1]!.params.RecordingUrl).toBe(recordingUrl);

    const res = await fetch(`${recordingUrl}.wav`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("audio/wav");
    const audio = Buffer.from(await res.arrayBuffer());
    const served = sim.served(recordingSid!);
    expect(createHash("sha256").update(audio).digest("hex")).toBe(served!.sha256);
    expect(audio.length).toBe(served!.bytes);
    expect(audio.toString("ascii", 0, 4)).toBe("RIFF");
    expect(audio.toString("ascii", 8, 12)).toBe("WAVE");
    expect(audio.readUInt16LE(22)).toBe(1); // channels
    expect(audio.readUInt32LE(24)).toBe(8000); // sample rate
    expect(audio.readUInt16LE(34)).toBe(16); // bits per sample
    expect(audio.length).toBeGreaterThan(8000 * 2 * 2); // at least two seconds of speech
    // Speech, not silence: a good share of samples is well above the noise floor.
    const samples = new Int16Array(audio.buffer, audio.byteOffset + 44, (audio.length - 44) >> 1);
    const loud = samples.filter((v) => Math.abs(v) > 1000).length;
    expect(loud / samples.length).toBeGreaterThan(0.05);

    const fetched = await client().calls(call.sid).fetch();
    expect(fetched.status).toBe("completed");
    expect(Number(fetched.duration)).toBe(Number(statuses[3]!.params.CallDuration));
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.endTime).toBeInstanceOf(Date);
  });

  it("posts a Gather action without Digits once the party has no keys left (actionOnEmptyResult)", async () => {
    sim.setScenario("+13125550111", { kind: "survey", digits: ["5"] });
    const call = await placeCall("direct-2", "+13125550111");
    const snapshot = await settled(call.sid);
    const gathers = forCall("direct-2", "laml").filter((r) => r.path.endsWith("/gather"));
    expect(gathers.map((r) => r.params.Digits)).toEqual(["5", undefined]);
    expect(snapshot.digitsSent).toEqual(["5"]);
  });

  it("answers speech Gathers with SpeechResult and Confidence: keys first where keys are taken, then what the party says", async () => {
    sim.setScenario("+13125550121", { kind: "survey", digits: [], speech: ["The wait was too long.", "Four."] });
    const call = await placeCall("speech-1", "+13125550121");
    const snapshot = await settled(call.sid);
    const gathers = forCall("speech-1", "laml").filter((r) => r.path.endsWith("/gather"));
    expect(gathers.map((r) => [r.params.SpeechResult, r.params.Confidence, r.params.Digits])).toEqual([
      ["The wait was too long.", "0.92", undefined],
      ["Four.", "0.92", undefined],
    ]);
    expect(snapshot.speechSent).toEqual(["The wait was too long.", "Four."]);

    sim.setScenario("+13125550122", { kind: "survey", digits: ["3"], speech: ["Fine."] });
    await settled((await placeCall("speech-2", "+13125550122")).sid);
    const second = forCall("speech-2", "laml").filter((r) => r.path.endsWith("/gather"));
    // The first Gather takes speech only (the keys wait); the second takes keys, which come first.
    expect(second.map((r) => [r.params.SpeechResult, r.params.Digits])).toEqual([["Fine.", undefined], [undefined, "3"]]);
  });

  it("the shopper numbers' called party says a reply a rubric passes (+15005550009) or fails (+15005550010), in the recording itself", async () => {
    const rubric = { id: "r", version: 1, criteria: [
      { id: "offers", label: "Offers an appointment", weight: 2, kind: "phrase_present" as const, phrases: ["appointment"] },
      { id: "polite", label: "Does not send the caller away", weight: 1, kind: "phrase_absent" as const, phrases: ["call back later"] },
    ] };
    const outcomes: Record<string, string[]> = {};
    for (const [label, to] of [["helpful", "+15005550009"], ["unhelpful", "+15005550010"]] as const) {
      const call = await placeCall(`direct-shop-${label}`, to);
      await settled(call.sid);
      const [callback] = forCall(`direct-shop-${label}`, "recording");
      const audio = new Uint8Array(await (await fetch(`${callback!.params.RecordingUrl}.wav`)).arrayBuffer());
      const metadata = readSpeechMetadata(audio)!;
      const callee = metadata.turns.filter((t) => t.speaker === "callee");
      expect(callee.length).toBeGreaterThan(0);
      const transcript = {
        audio_duration: Number(callback!.params.RecordingDuration),
        utterances: callee.map((t) => ({ speaker: "A", text: t.text, start: t.startMs, end: t.endMs })),
        words: callee.flatMap((t) => t.words.map((w) => ({ text: w.text, start: w.startMs, end: w.endMs, speaker: "A" }))),
      };
      outcomes[label] = scoreTranscript({ transcript, calledPartySpeaker: "A", rubric }).criteria.map((c) => c.outcome);
    }
    expect(outcomes).toEqual({ helpful: ["pass", "pass"], unhelpful: ["fail", "fail"] });
  });

  it("records the whole call when the REST create asks for it (Record=true, dual channels)", async () => {
    const urls = callUrls(appUrl, "simple-rec");
    const call = await placeCall("simple-rec", "+13125550112", {
      record: true,
      recordingChannels: "dual",
      recordingStatusCallback: urls.recording(),
      recordingStatusCallbackEvent: ["completed"],
    });
    await settled(call.sid);
    const [recording] = forCall("simple-rec", "recording");
    expect(recording!.params).toMatchObject({ RecordingSource: "OutboundAPI", RecordingChannels: "2", CallSid: call.sid });
    const res = await fetch(recording!.params.RecordingUrl!);
    expect(Buffer.from(await res.arrayBuffer()).readUInt16LE(22)).toBe(2);
    expect(sim.served(recording!.params.RecordingSid!)!.downloads).toBe(1);
    // The call lasts at least as long as its recording of the whole call.
    const [completed] = forCall("simple-rec", "status").filter((w) => w.params.CallStatus === "completed");
    expect(Number(completed!.params.CallDuration)).toBeGreaterThanOrEqual(Number(recording!.params.RecordingDuration));
  });

  it("takes scenarios and reports calls through the control API, and lists calls through the SDK", async () => {
    const set = await fetch(`${sim.url}/__control/scenarios`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ to: "+13125550113", scenario: { kind: "busy" } }),
    });
    expect(set.status).toBe(200);
    const bad = await fetch(`${sim.url}/__control/scenarios`, { method: "POST", body: JSON.stringify({ to: "+1", scenario: { kind: "nope" } }) });
    expect(bad.status).toBe(400);
    const call = await placeCall("simple-ctl", "+13125550113");
    await settled(call.sid);
    expect(statusesOf("simple-ctl")).toEqual(["initiated", "ringing", "busy"]);
    const calls = (await (await fetch(`${sim.url}/__control/calls`)).json()) as Array<{ sid: string; status: string }>;
    expect(calls.find((c) => c.sid === call.sid)?.status).toBe("busy");
    const listed = await client().calls.list({ to: "+13125550113", limit: 5 });
    expect(listed.map((c) => c.sid)).toEqual([call.sid]);
  });

  it("plays a bridge: whisper to the dialled party, a dual-channel recording, then the Dial action", async () => {
    const call = await placeCall("bridge-1", "+13125550102");
    const snapshot = await settled(call.sid);
    expect(snapshot.error).toBeUndefined();
    expect(snapshot.warnings).toEqual([]);

    const laml = forCall("bridge-1", "laml");
    expect(laml.map((r) => r.query.get("step"))).toEqual(["start", "whisper", "after-dial"]);
    const whisper = laml[1]!.params;
    expect(whisper).toMatchObject({ ParentCallSid: call.sid, To: "+13125550142", From: FROM, Direction: "outbound-dial" });
    expect(whisper.CallSid).not.toBe(call.sid);
    const afterDial = laml[2]!.params;
    expect(afterDial).toMatchObject({ CallSid: call.sid, DialCallStatus: "completed", DialCallSid: whisper.CallSid });

    const [recording] = forCall("bridge-1", "recording");
    expect(recording!.params).toMatchObject({ RecordingChannels: "2", RecordingSource: "DialVerb", RecordingStatus: "completed", CallSid: call.sid });
    expect(afterDial.RecordingSid).toBe(recording!.params.RecordingSid);
    const audio = Buffer.from(await (await fetch(recording!.params.RecordingUrl!)).arrayBuffer());
    expect(audio.readUInt16LE(22)).toBe(2);
    expect(audio.readUInt32LE(24)).toBe(8000);
    expect(createHash("sha256").update(audio).digest("hex")).toBe(sim.served(recording!.params.RecordingSid!)!.sha256);
    expect(statusesOf("bridge-1")).toEqual(["initiated", "ringing", "in-progress", "completed"]);
  });

  it("reports a dialled party that is busy through DialCallStatus, with no whisper and no recording", async () => {
    const call = await placeCall("bridgebusy-1", "+13125550103");
    await settled(call.sid);
    const laml = forCall("bridgebusy-1", "laml");
    expect(laml.map((r) => r.query.get("step"))).toEqual(["start", "after-dial"]);
    expect(laml[1]!.params.DialCallStatus).toBe("busy");
    expect(laml[1]!.params.RecordingUrl).toBeUndefined();
    expect(forCall("bridgebusy-1", "recording")).toEqual([]);
  });

  it.each([
    ["+15005550001", ["initiated", "ringing", "busy"]],
    ["+15005550002", ["initiated", "ringing", "no-answer"]],
    ["+15005550003", ["initiated", "failed"]],
  ])("calls to the reserved number %s end %j without fetching LaML", async (to, expected) => {
    const callId = `simple-${to.slice(-1)}`;
    const call = await placeCall(callId, to);
    await settled(call.sid);
    expect(statusesOf(callId)).toEqual(expected);
    expect(forCall(callId, "status").at(-1)!.params.CallDuration).toBe("0");
    expect(forCall(callId, "laml")).toEqual([]);
    expect((await client().calls(call.sid).fetch()).status).toBe(expected.at(-1));
  });

  it("sends nothing at all for a silent call, while the REST API still shows how it ended", async () => {
    const call = await placeCall("simple-silent", "+15005550004");
    await settled(call.sid);
    expect(received.filter((r) => r.path.includes("simple-silent"))).toEqual([]);
    expect((await client().calls(call.sid).fetch()).status).toBe("completed");
  });

  it("delivers every callback twice with duplicate: true", async () => {
    sim.setScenario("+13125550104", { kind: "answered", duplicate: true });
    const call = await placeCall("dup-1", "+13125550104");
    await settled(call.sid);
    const sequence = forCall("dup-1", "status").map((r) => r.params.SequenceNumber);
    expect(sequence).toEqual(["0", "0", "1", "1", "2", "2", "3", "3"]);
    expect(forCall("dup-1", "laml")).toHaveLength(1);
  });

  it("delivers status callbacks out of order with reorder: true, deterministically from the seed", async () => {
    sim.setScenario("+13125550105", { kind: "answered", reorder: true, seed: 42 });
    const first = await placeCall("reorder-1", "+13125550105");
    await settled(first.sid);
    const second = await placeCall("reorder-2", "+13125550105");
    await settled(second.sid);
    const order = (callId: string) => forCall(callId, "status").map((r) => Number(r.params.SequenceNumber));
    expect(order("reorder-1")).not.toEqual([0, 1, 2, 3]);
    expect([...order("reorder-1")].sort()).toEqual([0, 1, 2, 3]);
    expect(order("reorder-2")).toEqual(order("reorder-1"));
  });

  it("retries a status callback the app answers with 500, up to three attempts", async () => {
    failStatus.set("flaky-1", 2);
    const call = await placeCall("flaky-1", "+13125550106", { statusCallbackEvent: ["completed"] });
    const snapshot = await settled(call.sid);
    // The app saw three attempts of the same callback: two answered 500, the third 204.
    const attempts = forCall("flaky-1", "status");
    expect(attempts.map((r) => `${r.params.CallStatus}#${r.params.SequenceNumber}`)).toEqual(["completed#0", "completed#0", "completed#0"]);
    const delivery = snapshot.webhooks.find((w) => w.kind === "status")!;
    expect(delivery).toMatchObject({ ok: true, attempts: 3, status: 204 });
  });

  it("ends an answered call as completed, keeping the error, when its LaML cannot be fetched", async () => {
    const call = await placeCall("broken-1", "+13125550107");
    const snapshot = await settled(call.sid);
    expect(statusesOf("broken-1")).toEqual(["initiated", "ringing", "in-progress", "completed"]);
    expect(snapshot.error).toMatch(/HTTP 500/);
  });

  it("hangs up a live call through the SDK's update", async () => {
    const call = await placeCall("slow-1", "+13125550108");
    while (!forCall("slow-1", "status").some((r) => r.params.CallStatus === "in-progress")) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const updated = await client().calls(call.sid).update({ status: "completed" });
    expect(updated.sid).toBe(call.sid);
    await settled(call.sid, 2000);
    expect(statusesOf("slow-1")).toEqual(["initiated", "ringing", "in-progress", "completed"]);
  });

  it("rejects wrong credentials with 401 / 20003, as the SDK reports them", async () => {
    await expect(
      client("not-the-token").calls.create({ to: "+13125550109", from: FROM, url: callUrls(appUrl, "x").laml("start") }),
    ).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it("rejects an invalid To with 400 / 21211", async () => {
    await expect(placeCall("invalid-1", "+1555")).rejects.toMatchObject({
      status: 400,
      code: 21211,
      message: "The 'To' number +1555 is not a valid phone number.",
    });
  });

  it("answers 404 for an unknown call sid", async () => {
    await expect(client().calls("00000000-0000-4000-8000-000000000000").fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it("signed every webhook so that the SDK's validateRequest accepts it", () => {
    expect(badSignatures).toEqual([]);
    expect(received.length).toBeGreaterThan(30);
  });
});
