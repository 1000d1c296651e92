import { describe, expect, it } from "vitest";
import { ValidationError } from "@/lib/errors";
import { isIgnored, parseDialCallback, parseGatherCallback, parseRecordingCallback, parseStatusCallback } from "@/lib/telephony/callbacks";

const SID = "0b5c6c1e-8f7a-4e0e-9c1b-2f8f2a6d3e41";
const TWILIO_SID = "CA0123456789abcdef0123456789abcdef";

describe("status callbacks, field by field", () => {
  const base = { CallSid: SID, CallStatus: "ringing", SequenceNumber: "1", Timestamp: "Sat, 21 Nov 2026 12:00:01 GMT", Direction: "outbound-api" };

  it("keeps the known, valid fields; never AccountSid, URLs or unknown keys", () => {
    const cb = parseStatusCallback({ ...base, AccountSid: SID, StatusCallbackUrl: "https://x", Junk: "y" });
    expect(isIgnored(cb)).toBe(false);
    if (isIgnored(cb)) return;
    expect(cb.payload).toEqual({ CallSid: SID, CallStatus: "ringing", SequenceNumber: "1", Timestamp: base.Timestamp, Direction: "outbound-api" });
    expect(cb.sequence).toBe(1);
    expect(cb.occurredAt?.toISOString()).toBe("2026-11-21T12:00:01.000Z");
  });

  it("accepts both sid shapes and refuses anything else with a 400 naming CallSid", () => {
    expect(isIgnored(parseStatusCallback({ ...base, CallSid: TWILIO_SID }))).toBe(false);
    for (const bad of ["CA-1", `${SID}x`, "", "CA0123"]) {
      expect(() => parseStatusCallback({ ...base, CallSid: bad })).toThrow(ValidationError);
    }
    expect(() => parseStatusCallback({ CallStatus: "ringing" })).toThrow(/CallSid/);
  });

  it("an unknown CallStatus or a malformed SequenceNumber is ignored, not an error", () => {
    expect(parseStatusCallback({ ...base, CallStatus: "ringingDirectionoutbound-api" })).toEqual({ ignored: "unknown CallStatus" });
    expect(parseStatusCallback({ ...base, SequenceNumber: "1Timestamp" })).toEqual({ ignored: "malformed SequenceNumber" });
    expect(() => parseStatusCallback({ CallSid: SID })).toThrow(/CallStatus/);
  });

  it("never keeps the call's numbers (From, To): they are on the call's row, sealed", () => {
    const cb = parseStatusCallback({ ...base, From: "+14155550100", To: "+13125550101" });
    if (isIgnored(cb)) throw new Error("ignored");
    expect(cb.payload).not.toHaveProperty("From");
    expect(cb.payload).not.toHaveProperty("To");
    expect(cb.dropped).toEqual([]);
  });

  it("drops odd optional fields and keeps the event", () => {
    const cb = parseStatusCallback({ ...base, Timestamp: "-271821-04-20T00:00:00.000Z", Direction: "sideways", CallDuration: "99999999999", AnsweredBy: "+1555SequenceNumber1" });
    if (isIgnored(cb)) throw new Error("ignored");
    expect(cb.occurredAt).toBeNull();
    expect(cb.durationSeconds).toBeNull();
    expect(cb.dropped.sort()).toEqual(["AnsweredBy", "CallDuration", "Direction", "Timestamp"]);
    expect(Object.keys(cb.payload).sort()).toEqual(["CallSid", "CallStatus", "SequenceNumber"]);
  });
});

describe("recording, gather and dial callbacks", () => {
  it("recording: sid required, status in the documented set, counts bounded", () => {
    expect(() => parseRecordingCallback({ RecordingStatus: "completed" })).toThrow(/RecordingSid/);
    expect(parseRecordingCallback({ RecordingSid: SID, RecordingStatus: "paused" })).toEqual({ ignored: "unknown RecordingStatus" });
    const cb = parseRecordingCallback({ RecordingSid: SID, RecordingStatus: "completed", RecordingChannels: "7", RecordingDuration: "12", RecordingUrl: "https://r" });
    if (isIgnored(cb)) throw new Error("ignored");
    expect(cb).toMatchObject({ channels: null, durationSeconds: 12, recordingUrl: "https://r" });
    expect(cb.payload).not.toHaveProperty("RecordingUrl");
  });

  it("gather: Digits are keypad input or nothing", () => {
    expect(parseGatherCallback({ Digits: "3" }).digits).toBe("3");
    expect(parseGatherCallback({ Digits: "3Digits4" }).digits).toBeUndefined();
    expect(() => parseGatherCallback({ CallSid: "nope" })).toThrow(/CallSid/);
  });

  it("dial: an undocumented DialCallStatus is not an event", () => {
    expect(parseDialCallback({ CallSid: SID, DialCallStatus: "completedX" }).dialCallStatus).toBeNull();
    expect(parseDialCallback({ CallSid: SID, DialCallStatus: "no-answer", DialCallSid: TWILIO_SID }).payload)
      .toEqual({ CallSid: SID, DialCallStatus: "no-answer", DialCallSid: TWILIO_SID });
  });
});
