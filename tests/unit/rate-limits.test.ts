import { describe, expect, it } from "vitest";
import { WEBHOOK_LIMITS } from "@/lib/http/webhook-limits";

// How the limits count and refuse, shared across processes, is tests/integration/rate-limits.test.ts.
describe("webhook limits", () => {
  it("webhook budgets leave room for the benchmark's ~2,000 callbacks a minute from one address and a busy call's retries", () => {
    expect(WEBHOOK_LIMITS.perSource.spec.points / WEBHOOK_LIMITS.perSource.spec.durationSeconds).toBeGreaterThanOrEqual(300);
    // A survey call: a few dozen requests, each tried up to 3 times by SignalWire.
    expect(WEBHOOK_LIMITS.perSubject.spec.points).toBeGreaterThanOrEqual(3 * 50);
  });
});
