import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, OFFLINE_AFTER_FAILURES, stateAfterFailure } from "@/lib/realtime/backoff";
import { parseNotice } from "@/lib/realtime/client";
import { createCoalescer, type Burst } from "@/lib/realtime/coalesce";

describe("reconnect backoff", () => {
  it("waits 1 s, 2 s, 4 s … and never more than 30 s", () => {
    const schedule = Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1));
    expect(schedule).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(backoffDelay(10_000)).toBe(30_000);
    expect(backoffDelay(0)).toBe(1_000);
    expect(backoffDelay(Number.NaN)).toBe(1_000);
  });

  it("says reconnecting for a short outage, offline for a long one or when the browser knows", () => {
    expect(stateAfterFailure(1, true)).toBe("reconnecting");
    expect(stateAfterFailure(OFFLINE_AFTER_FAILURES - 1, true)).toBe("reconnecting");
    expect(stateAfterFailure(OFFLINE_AFTER_FAILURES, true)).toBe("offline");
    expect(stateAfterFailure(1, false)).toBe("offline");
  });
});

describe("notice parsing", () => {
  it("accepts call notices and nothing else", () => {
    expect(parseNotice({ topic: "calls", callId: "c1" })).toEqual({ topic: "calls", callId: "c1" });
    expect(parseNotice({ topic: "calls", callId: null })).toEqual({ topic: "calls", callId: null });
    expect(parseNotice({ topic: "calls" })).toEqual({ topic: "calls", callId: null });
    expect(parseNotice({ topic: "other", callId: "c1" })).toBeNull();
    expect(parseNotice({ topic: "calls", callId: 7 })).toBeNull();
    expect(parseNotice("calls")).toBeNull();
    expect(parseNotice(null)).toBeNull();
  });
});

describe("live-update debouncing", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("turns a burst of notices into one refetch naming each call once", () => {
    const bursts: Burst[] = [];
    const c = createCoalescer((b) => bursts.push(b), { waitMs: 250 });
    c.add("a");
    vi.advanceTimersByTime(100);
    c.add("b");
    c.add("a");
    vi.advanceTimersByTime(249);
    expect(bursts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(bursts).toEqual([{ callIds: ["a", "b"], all: false }]);
    vi.advanceTimersByTime(10_000);
    expect(bursts).toHaveLength(1);
  });

  it("still refreshes during a steady stream of notices", () => {
    const bursts: Burst[] = [];
    const c = createCoalescer((b) => bursts.push(b), { waitMs: 250, maxWaitMs: 1_000 });
    for (let t = 0; t < 1_500; t += 100) {
      c.add(`call-${t}`);
      vi.advanceTimersByTime(100);
    }
    expect(bursts.length).toBeGreaterThanOrEqual(1);
    expect(bursts[0]!.callIds.length).toBeLessThanOrEqual(11);
  });

  it("marks a burst with an unnamed change as 'refetch everything'", () => {
    const bursts: Burst[] = [];
    const c = createCoalescer((b) => bursts.push(b));
    c.add("a");
    c.add(null);
    vi.runAllTimers();
    expect(bursts).toEqual([{ callIds: ["a"], all: true }]);
  });

  it("delivers nothing after cancel, and flush delivers at once", () => {
    const bursts: Burst[] = [];
    const c = createCoalescer((b) => bursts.push(b));
    c.add("a");
    c.cancel();
    vi.runAllTimers();
    expect(bursts).toEqual([]);
    c.add("b");
    c.flush();
    expect(bursts).toEqual([{ callIds: ["b"], all: false }]);
    c.flush();
    expect(bursts).toHaveLength(1);
  });
});
