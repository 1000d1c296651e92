import { describe, expect, it } from "vitest";
import { RateLimitedError } from "@/lib/errors";
import { Limit } from "@/lib/rate-limits";
import { WEBHOOK_LIMITS } from "@/lib/http/webhook-limits";

describe("in-memory limits", () => {
  it("refuses the request after the budget with a Retry-After within the window, per key", async () => {
    const limit = new Limit("unit_consume", { points: 3, durationSeconds: 60 });
    for (let i = 0; i < 3; i++) await limit.consume("a", "Too many.");
    const refused = await limit.consume("a", "Too many.").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
    expect((refused as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((refused as RateLimitedError).message).toMatch(/^Too many\. Try again in \d+ seconds?\.$/);
    await expect(limit.consume("b", "Too many.")).resolves.toBeUndefined();
  });

  it("penalties block the key for the block duration once the budget is used", async () => {
    const limit = new Limit("unit_penalty", { points: 2, durationSeconds: 60, blockSeconds: 600 });
    await limit.assertOpen("x", "Blocked.");
    await limit.penalize("x");
    await limit.assertOpen("x", "Blocked.");
    await limit.penalize("x");
    const refused = (await limit.assertOpen("x", "Blocked.").catch((e: unknown) => e)) as RateLimitedError;
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused.retryAfterSeconds).toBeGreaterThan(590);
  });

  it("webhook budgets leave room for the benchmark's ~2,000 callbacks a minute from one address and a busy call's retries", () => {
    expect(WEBHOOK_LIMITS.perSource.spec.points / WEBHOOK_LIMITS.perSource.spec.durationSeconds).toBeGreaterThanOrEqual(300);
    // A survey call: a few dozen requests, each tried up to 3 times by SignalWire.
    expect(WEBHOOK_LIMITS.perSubject.spec.points).toBeGreaterThanOrEqual(3 * 50);
  });
});
