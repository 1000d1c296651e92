import { describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { closeDb } from "@/lib/db/client";
import { forgetReadiness, type ReadinessReport } from "@/lib/operations/readiness";
import { setupPipeline } from "@/tests/support/pipeline";
import { ctx } from "@/tests/support/signalwire";

/**
 * GET /api/health/ready against the stand-ins (docs/adr/0042): healthy with the database,
 * storage, the carrier and transcriber stand-ins, the TSA and a running worker; degraded — 200,
 * still `ready`, naming it — once the transcriber stand-in stops; cached, so probes in between
 * do not reach the providers; critical — 503, not `ready` — when the database does not answer.
 */
const pipeline = setupPipeline({ tmpPrefix: "verbatim-ready-", apiKey: "ready-test-transcriber-key" });
const ready = await import("@/app/api/health/ready/route");

async function readyNow(): Promise<{ status: number; body: ReadinessReport }> {
  const res = await ready.GET(new Request("http://127.0.0.1:3000/api/health/ready"), ctx({}));
  return { status: res.status, body: (await res.json()) as ReadinessReport };
}

describe("readiness across dependencies", () => {
  it("is healthy with every dependency up, each with its latency, and keeps what existing probes read", async () => {
    forgetReadiness();
    const { status, body } = await readyNow();
    expect(body.degraded, JSON.stringify(body.checks)).toEqual([]);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ready: true, status: "healthy", database: "ok", migrations: "current", pending: [], changed: [] });
    for (const name of ["database", "storage", "carrier", "transcriber", "tsa", "worker"] as const) {
      expect(body.checks[name].state, name).toBe("ok");
      expect(body.checks[name].latencyMs, name).toBeGreaterThanOrEqual(0);
    }
  });

  it("turns degraded, naming the transcriber, when its stand-in stops; the cache holds the answer until it expires", async () => {
    forgetReadiness();
    expect((await readyNow()).body.status).toBe("healthy");
    await pipeline.transcriber.stop();
    // Within the cache's 10 s, the stand-in is not asked again.
    const cached = await readyNow();
    expect(cached.body.status).toBe("healthy");

    forgetReadiness();
    const { status, body } = await readyNow();
    expect(status).toBe(200);
    expect(body).toMatchObject({ ready: true, status: "degraded", degraded: ["transcriber"] });
    expect(body.checks.transcriber.state).toBe("down");
    expect(body.checks.transcriber.reason).toMatch(/the transcriber did not answer/);
    expect(body.checks.database.state).toBe("ok");
    expect(body.checks.carrier.state).toBe("ok");
  });

  it("is critical (503, not ready) when the database does not answer, and says so", async () => {
    const url = process.env.DATABASE_URL!;
    await closeDb();
    // A port nothing listens on: connections are refused at once.
    process.env.DATABASE_URL = "postgres://postgres:x@127.0.0.1:9/verbatim";
    resetConfig();
    try {
      forgetReadiness();
      const { status, body } = await readyNow();
      expect(status).toBe(503);
      expect(body).toMatchObject({ ready: false, status: "critical", database: "unreachable" });
      expect(body.degraded).toContain("database");
      expect(body.checks.database).toMatchObject({ state: "down", reason: "the database did not answer" });
    } finally {
      await closeDb();
      process.env.DATABASE_URL = url;
      resetConfig();
      forgetReadiness();
    }
    expect((await readyNow()).status).toBe(200);
  });
});
