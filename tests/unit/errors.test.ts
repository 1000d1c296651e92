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

  it("answers 503 with Retry-After when the database cannot be reached, and only then", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const wrapped = new Error("query failed", { cause: Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }) });
    for (const err of [refused, shutdown, wrapped]) {
      const res = errorResponse(err, "req-12345678", log);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const text = await res.text();
      expect(JSON.parse(text).error).toMatchObject({ code: "unavailable", requestId: "req-12345678" });
      expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|administrator/);
    }
    // A query that is wrong is ours to fix, not the caller's to retry.
    expect(errorResponse(Object.assign(new Error("syntax error"), { code: "42601" }), "req-12345678", log).status).toBe(500);
  });

  it("hides unknown errors' internals", async () => {
    const res = errorResponse(new Error("password=hunter2 at db.ts:12"), "req-12345678", log);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|db\.ts|stack/);
    expect(JSON.parse(text).error.code).toBe("internal");
  });
});
