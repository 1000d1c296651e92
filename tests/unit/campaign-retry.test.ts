import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, nextAttempt, retryPolicySchema } from "@/lib/campaigns/retry";
import { campaignScheduleSchema } from "@/lib/campaigns/windows";

const target = {
  timeZone: "America/New_York",
  // Default window: 9:00–17:00 Monday to Friday (EDT in June: 13:00Z–21:00Z).
  schedule: campaignScheduleSchema.parse({ startsAt: "2026-06-01T00:00:00Z", endsAt: "2026-06-20T00:00:00Z" }),
};
const policy = retryPolicySchema.parse({});
const at = (iso: string) => new Date(iso);

describe("the retry policy", () => {
  it("has a default per outcome, and an outcome left out keeps its default", () => {
    expect(policy).toEqual(DEFAULT_RETRY_POLICY);
    const custom = retryPolicySchema.parse({ busy: { maxAttempts: 5, backoffSeconds: 120 } });
    expect(custom.busy).toEqual({ maxAttempts: 5, backoffSeconds: 120 });
    expect(custom.no_answer).toEqual(DEFAULT_RETRY_POLICY.no_answer);
  });

  it("refuses rules that make no sense", () => {
    expect(retryPolicySchema.safeParse({ busy: { maxAttempts: 0, backoffSeconds: 60 } }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ busy: { maxAttempts: 2.5, backoffSeconds: 60 } }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ failed: { maxAttempts: 2, backoffSeconds: -1 } }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ no_answer: { maxAttempts: 2, backoffSeconds: 60, multiplier: 0.5 } }).success).toBe(false);
  });
});

describe("the next attempt", () => {
  it("an answered call is done", () => {
    expect(nextAttempt(policy, "answered", 1, at("2026-06-08T14:00:00Z"), target)).toEqual({ kind: "done", reason: "answered" });
  });

  it("busy is retried after its backoff while attempts remain", () => {
    expect(nextAttempt(policy, "busy", 1, at("2026-06-08T14:00:00Z"), target)).toEqual({ kind: "retry", attempt: 2, at: at("2026-06-08T14:10:00Z") });
    expect(nextAttempt(policy, "busy", 2, at("2026-06-08T14:30:00Z"), target)).toEqual({ kind: "retry", attempt: 3, at: at("2026-06-08T14:40:00Z") });
    expect(nextAttempt(policy, "busy", 3, at("2026-06-08T15:00:00Z"), target)).toEqual({ kind: "done", reason: "attempts_used" });
  });

  it("the multiplier lengthens each further wait", () => {
    // 1800 s × 3^(attempt − 1): 30 min, 90 min, 270 min.
    const custom = retryPolicySchema.parse({ no_answer: { maxAttempts: 4, backoffSeconds: 1800, multiplier: 3 } });
    expect(nextAttempt(custom, "no_answer", 1, at("2026-06-08T13:00:00Z"), target)).toEqual({ kind: "retry", attempt: 2, at: at("2026-06-08T13:30:00Z") });
    expect(nextAttempt(custom, "no_answer", 2, at("2026-06-08T13:00:00Z"), target)).toEqual({ kind: "retry", attempt: 3, at: at("2026-06-08T14:30:00Z") });
    expect(nextAttempt(custom, "no_answer", 3, at("2026-06-08T13:00:00Z"), target)).toEqual({ kind: "retry", attempt: 4, at: at("2026-06-08T17:30:00Z") });
  });

  it("a retry that would fall outside the window waits for the next callable instant", () => {
    // Friday 2026-06-12 16:55 EDT + 10 min = 17:05, after the window: Monday 9:00 EDT.
    expect(nextAttempt(policy, "busy", 1, at("2026-06-12T20:55:00Z"), target)).toEqual({ kind: "retry", attempt: 2, at: at("2026-06-15T13:00:00Z") });
  });

  it("a retry that no window is left for is done", () => {
    // Friday 19 June 16:55 EDT: the schedule ends before Monday.
    expect(nextAttempt(policy, "failed", 1, at("2026-06-19T20:55:00Z"), target)).toEqual({ kind: "done", reason: "schedule_ended" });
  });

  it("counts attempts over the target's whole run, against the latest outcome's limit", () => {
    const custom = retryPolicySchema.parse({ busy: { maxAttempts: 5, backoffSeconds: 60 }, failed: { maxAttempts: 2, backoffSeconds: 60 } });
    expect(nextAttempt(custom, "failed", 2, at("2026-06-08T14:00:00Z"), target)).toEqual({ kind: "done", reason: "attempts_used" });
    expect(nextAttempt(custom, "busy", 2, at("2026-06-08T14:00:00Z"), target)).toMatchObject({ kind: "retry", attempt: 3 });
  });

  it("refuses an attempt number that is not a positive integer", () => {
    expect(() => nextAttempt(policy, "busy", 0, at("2026-06-08T14:00:00Z"), target)).toThrow(RangeError);
  });
});
