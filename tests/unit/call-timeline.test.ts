import { describe, expect, it } from "vitest";
import { timelineOf } from "@/components/calls/timeline";
import type { CallDetail } from "@/lib/calls/contracts";

const events: CallDetail["events"] = [
  { id: 2, kind: "provider.status", occurredAt: "2026-11-30T10:00:05.000Z", summary: "Call ringing" },
  { id: 1, kind: "call.dialled", occurredAt: "2026-11-30T10:00:01.000Z", summary: "Dialled" },
  { id: 3, kind: "recording.stored", occurredAt: "2026-11-30T10:01:00.000Z", summary: "Recording stored" },
  { id: 4, kind: "transcription.completed", occurredAt: "2026-11-30T10:01:30.000Z", summary: "Transcript stored" },
];
const sha = "a".repeat(64);

describe("a call's timeline", () => {
  it("puts events, sealed versions and custody events together, oldest first", () => {
    const items = timelineOf({
      events,
      manifests: [{ version: 1, sha256: sha, issuedAt: "2026-11-30T10:01:40.000Z", logIndex: 7 }],
      custody: [
        { kind: "manifest.sealed", actorUserId: null, actorEmail: null, occurredAt: "2026-11-30T10:01:40.000Z", sha256: sha, hash: "b".repeat(64) },
        { kind: "evidence.exported", actorUserId: "u-1", actorEmail: "me@acme.test", occurredAt: "2026-11-30T10:05:00.000Z", sha256: sha, hash: "c".repeat(64) },
        { kind: "evidence.viewed", actorUserId: "u-2-long-id", actorEmail: "analyst@acme.test", occurredAt: "2026-11-30T10:02:00.000Z", sha256: sha, hash: "d".repeat(64) },
        { kind: "evidence.verified", actorUserId: "u-3-gone-user", actorEmail: null, occurredAt: "2026-11-30T10:06:00.000Z", sha256: sha, hash: "e".repeat(64) },
      ],
    }, { you: "u-1" });
    expect(items.map((i) => i.text)).toEqual([
      "Dialled",
      "Call ringing",
      "Recording stored",
      "Transcript stored",
      "Evidence manifest version 1 sealed, log entry 7",
      "Evidence viewed by analyst@acme.test",
      "Evidence exported by you",
      "Evidence verified by member u-3-gone",
    ]);
    expect(items.map((i) => i.source)).toEqual(["call", "carrier", "recording", "intelligence", "evidence", "custody", "custody", "custody"]);
    expect(items[4]!.hash).toBe(sha);
  });

  it("says nothing about evidence to roles that may not see it (null)", () => {
    const items = timelineOf({ events, manifests: null, custody: null });
    expect(items).toHaveLength(events.length);
    expect(items.some((i) => i.source === "evidence" || i.source === "custody")).toBe(false);
  });

  it("keeps the append order of events at the same instant", () => {
    const at = "2026-11-30T10:00:00.000Z";
    const same = [1, 2, 3].map((id) => ({ id, kind: "provider.status", occurredAt: at, summary: `s${id}` }));
    expect(timelineOf({ events: same, manifests: [], custody: [] }).map((i) => i.text)).toEqual(["s1", "s2", "s3"]);
  });
});
