import { describe, expect, it } from "vitest";
import pino from "pino";
import { NotFoundError, PlanRequiredError, RateLimitedError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/respond";

const log = pino({ level: "silent" });

describe("error mapping", () => {
  it("maps typed errors to their status with { error: { code, message, requestId } }", async () => {
    const res = errorResponse(new NotFoundError("Call not found."), "req-12345678", log);
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("req-12345678");
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "Call not found.", requestId: "req-12345678" } });
  });

  it("names the plan that unlocks a feature", async () => {
    const res = errorResponse(new PlanRequiredError("Recording and transcription", "pro", "base"), "req-12345678", log);
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "plan_required", requiredPlan: "pro", currentPlan: "base" });
    expect(body.error.message).toMatch(/Upgrade to pro/);
  });

  it("sets Retry-After on 429", () => {
    const res = errorResponse(new RateLimitedError("Too many.", 42), "req-12345678", log);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("42");
  });

  it("hides unknown errors' internals", async () => {
    const res = errorResponse(new Error("password=hunter2 at db.ts:12"), "req-12345678", log);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|db\.ts|stack/);
    expect(JSON.parse(text).error.code).toBe("internal");
  });
});
