import { describe, expect, it, vi } from "vitest";

// The hub's one LISTEN, replaced by a fake that lets the test play Postgres.
const fake = vi.hoisted(() => ({
  onNotify: null as ((payload: string) => void) | null,
  onListen: null as (() => void) | null,
  listenCalls: 0,
}));

vi.mock("@/lib/db/client", () => ({
  sql: () => ({
    listen: (_channel: string, onNotify: (payload: string) => void, onListen: () => void) => {
      fake.listenCalls += 1;
      fake.onNotify = onNotify;
      fake.onListen = onListen;
      onListen();
      return Promise.resolve({ state: {}, unlisten: async () => {} });
    },
  }),
}));

process.env.LOG_LEVEL = "silent";
const { MAX_QUEUED_NOTICES, parseNotification, subscribe, subscriberCounts } = await import("@/lib/realtime/sse-hub");

const ORG_A = "00000000-0000-4000-8000-00000000000a";
const ORG_B = "00000000-0000-4000-8000-00000000000b";

function notify(payload: unknown) {
  fake.onNotify!(typeof payload === "string" ? payload : JSON.stringify(payload));
}

describe("realtime hub", () => {
  it("listens once, lazily, and delivers each organization only its own notices", async () => {
    expect(fake.listenCalls).toBe(0);
    const a = subscribe(ORG_A);
    const b = subscribe(ORG_B);
    const a2 = subscribe(ORG_A);
    expect(fake.listenCalls).toBe(1);

    notify({ org: ORG_A, topic: "calls", callId: "call-1" });
    notify({ org: ORG_B, topic: "calls", callId: "call-2" });

    expect(await a.wait(10)).toBe("notice");
    expect(a.drain()).toEqual([{ topic: "calls", callId: "call-1" }]);
    expect(a2.drain()).toEqual([{ topic: "calls", callId: "call-1" }]);
    expect(b.drain()).toEqual([{ topic: "calls", callId: "call-2" }]);

    for (const s of [a, b, a2]) s.close();
    expect(subscriberCounts()).toEqual({});
  });

  it("ignores malformed payloads and other topics", () => {
    const a = subscribe(ORG_A);
    notify("not json");
    notify({ org: ORG_A, topic: "secrets", callId: "x" });
    notify({ topic: "calls", callId: "x" });
    notify({ org: ORG_A, topic: "calls", callId: 42 });
    expect(a.drain()).toEqual([]);
    expect(parseNotification(JSON.stringify({ org: ORG_A, topic: "calls", callId: null }))).toEqual({
      kind: "notice",
      org: ORG_A,
      notice: { topic: "calls", callId: null },
    });
    a.close();
  });

  it("reads revocations, and never mistakes one for a notice", () => {
    expect(parseNotification(JSON.stringify({ revoke: "session", session: "s-1", user: "u-1" }))).toEqual({ kind: "revoke-session", sessionId: "s-1", userId: "u-1" });
    expect(parseNotification(JSON.stringify({ revoke: "member", org: ORG_A, user: "u-1" }))).toEqual({ kind: "revoke-member", org: ORG_A, userId: "u-1" });
    expect(parseNotification(JSON.stringify({ revoke: "session", user: "u-1" }))).toBeNull();
    expect(parseNotification(JSON.stringify({ revoke: "everyone", org: ORG_A, user: "u-1" }))).toBeNull();
  });

  it("keeps at most the newest notices for a subscriber that stops reading", () => {
    const a = subscribe(ORG_A);
    for (let i = 0; i < MAX_QUEUED_NOTICES + 25; i++) notify({ org: ORG_A, topic: "calls", callId: `c${i}` });
    const queued = a.drain();
    expect(queued).toHaveLength(MAX_QUEUED_NOTICES);
    expect(queued[0]).toEqual({ topic: "calls", callId: "c25" });
    expect(queued.at(-1)).toEqual({ topic: "calls", callId: `c${MAX_QUEUED_NOTICES + 24}` });
    expect(a.dropped).toBe(25);
    a.close();
  });

  it("wakes a waiting reader on a notice, on close, and times out for heartbeats", async () => {
    const a = subscribe(ORG_A);
    expect(await a.wait(5)).toBe("timeout");
    const waiting = a.wait(1_000);
    notify({ org: ORG_A, topic: "calls", callId: "c" });
    expect(await waiting).toBe("notice");
    a.drain();
    const closing = a.wait(1_000);
    a.close();
    expect(await closing).toBe("closed");
    // Closed subscriptions receive nothing more.
    notify({ org: ORG_A, topic: "calls", callId: "late" });
    expect(a.drain()).toEqual([]);
  });

  it("asks everyone to resync after the LISTEN connection was re-established", () => {
    const a = subscribe(ORG_A);
    const b = subscribe(ORG_B);
    fake.onListen!();
    expect(a.drain()).toEqual([{ topic: "calls", callId: null }]);
    expect(b.drain()).toEqual([{ topic: "calls", callId: null }]);
    a.close();
    b.close();
  });
});
