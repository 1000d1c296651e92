import { describe, expect, it } from "vitest";
import { callableIntervals, campaignScheduleSchema, isCallable, seededFraction, spreadCallAt } from "@/lib/campaigns/windows";

/**
 * Shopper programs spread each target's call over its next window(s): reproducible for one
 * campaign, target and attempt, inside the window, and uniform across it.
 */
const schedule = campaignScheduleSchema.parse({ startsAt: "2026-06-01T00:00:00Z", endsAt: "2026-07-01T00:00:00Z" });
const campaignId = "6f1c2f0e-8a54-4a8e-9d1b-2a3f4c5d6e7f";
const from = new Date("2026-06-08T00:00:00Z"); // Monday
const tz = "America/Chicago";

/** Pearson's chi-squared statistic of counts against equal expectation. */
function chiSquared(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe("spreading a target's call across its window", () => {
  it("is reproducible: the same campaign, target and attempt give the same instant", () => {
    const seed = { campaignId, targetId: "target-1", attempt: 1 };
    const first = spreadCallAt(schedule, tz, from, seed);
    expect(spreadCallAt(schedule, tz, from, { ...seed })).toEqual(first);
    expect(spreadCallAt(schedule, tz, from, { ...seed, attempt: 2 })).not.toEqual(first);
    expect(spreadCallAt(schedule, tz, from, { ...seed, targetId: "target-2" })).not.toEqual(first);
    expect(spreadCallAt(schedule, tz, from, { ...seed, campaignId: "another" })).not.toEqual(first);
  });

  it("lands inside the target's next window, in its own zone", () => {
    for (const zone of ["America/Chicago", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"]) {
      const [window] = callableIntervals(schedule, zone, from, 1);
      for (let i = 0; i < 200; i++) {
        const at = spreadCallAt(schedule, zone, from, { campaignId, targetId: `t${i}`, attempt: 1 })!;
        expect(isCallable(schedule, zone, at)).toBe(true);
        expect(at.getTime()).toBeGreaterThanOrEqual(window!.start.getTime());
        expect(at.getTime()).toBeLessThan(window!.end.getTime());
      }
    }
  });

  it("is uniform across the window: 2,000 targets in 16 equal slices pass a chi-squared test", () => {
    const [window] = callableIntervals(schedule, tz, from, 1);
    const start = window!.start.getTime();
    const length = window!.end.getTime() - start;
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 2000; i++) {
      const at = spreadCallAt(schedule, tz, from, { campaignId, targetId: `target-${i}`, attempt: 1 })!;
      counts[Math.floor(((at.getTime() - start) / length) * 16)]! += 1;
    }
    // 15 degrees of freedom: 37.70 is the 0.001 critical value. The seeds are fixed, so this
    // cannot flake; a spread that favoured any part of the window (its start, whole hours) fails.
    expect(chiSquared(counts)).toBeLessThan(37.7);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("spreads over several windows when asked, about evenly between the days", () => {
    const windows = callableIntervals(schedule, tz, from, 3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 1500; i++) {
      const at = spreadCallAt(schedule, tz, from, { campaignId, targetId: `target-${i}`, attempt: 1 }, { windows: 3 })!;
      const day = windows.findIndex((w) => at >= w.start && at < w.end);
      expect(day).toBeGreaterThanOrEqual(0);
      counts[day]! += 1;
    }
    expect(chiSquared(counts)).toBeLessThan(13.82); // 2 degrees of freedom, 0.001
  });

  it("spreads over what is left of a window it starts inside, and answers null past the end", () => {
    const late = new Date("2026-06-08T21:30:00Z"); // 16:30 in Chicago: half an hour left
    for (let i = 0; i < 50; i++) {
      const at = spreadCallAt(schedule, tz, late, { campaignId, targetId: `t${i}`, attempt: 1 })!;
      expect(at.getTime()).toBeGreaterThanOrEqual(late.getTime());
      expect(at.getTime()).toBeLessThan(new Date("2026-06-08T22:00:00Z").getTime());
    }
    expect(spreadCallAt(schedule, tz, new Date("2026-07-01T00:00:00Z"), { campaignId, targetId: "t", attempt: 1 })).toBeNull();
    expect(() => spreadCallAt(schedule, tz, from, { campaignId, targetId: "t", attempt: 1 }, { windows: 0 })).toThrow(RangeError);
  });

  it("draws its fraction from [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const u = seededFraction({ campaignId, targetId: `t${i}`, attempt: i % 4 });
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});
