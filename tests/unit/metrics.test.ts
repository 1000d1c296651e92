import { afterEach, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { routeTemplate } from "@/lib/http/route-template";
import { metrics, recording, setRecording, webhookOutcome } from "@/lib/metrics";
import { metricsAccess } from "@/lib/operations/metrics-access";
import { processScrape } from "@/lib/operations/scrape";
import { carrierOperation } from "@/lib/telephony/client";
import { parseScrape, sampleValue } from "@/scripts/metrics-scrape";

/** The parts of the metrics that decide cardinality and access (docs/adr/0042). */
describe("labels stay bounded", () => {
  const id = "0b9a3c1e-5d2f-4a6b-8c7d-9e0f1a2b3c4d";

  it("names a route by its template, whatever the id", () => {
    expect(routeTemplate(`/api/webhooks/signalwire/${id}/status`, { callId: id })).toBe("/api/webhooks/signalwire/{callId}/status");
    expect(routeTemplate(`/api/laml/${id}/gather`, { callId: id })).toBe("/api/laml/{callId}/gather");
    expect(routeTemplate("/api/laml/anything-at-all", { callId: "anything-at-all" })).toBe("/api/laml/{callId}");
    expect(routeTemplate("/api/webhooks/assemblyai", {})).toBe("/api/webhooks/assemblyai");
  });

  it("answers `other` for a path a client could vary", () => {
    // Escaped otherwise than the parameter reads, or with characters no route has.
    expect(routeTemplate("/api/laml/%61bc", { callId: "abc" })).toBe("other");
    expect(routeTemplate("/api/laml/ABC", { callId: "x" })).toBe("other");
    expect(routeTemplate(`/api/laml/${"a".repeat(200)}`, {})).toBe("other");
  });

  it("names carrier operations by method and resource, never by sid or account", () => {
    const base = "https://example.signalwire.com/2010-04-01/Accounts/11111111-2222-4333-8444-555555555555";
    expect(carrierOperation("post", `${base}/Calls.json`)).toBe("POST Calls");
    expect(carrierOperation("GET", `${base}/Calls/CA0123456789abcdef0123456789abcdef.json`)).toBe("GET Calls/{sid}");
    expect(carrierOperation("GET", `${base}/Calls/CA0123456789abcdef0123456789abcdef/Recordings.json?PageSize=50`)).toBe("GET Calls/{sid}/Recordings");
    expect(carrierOperation("GET", `${base}/Whatever/x.json`)).toBe("GET other/{sid}");
    expect(carrierOperation("GET", "https://example.signalwire.com/somewhere")).toBe("GET other");
  });

  it("maps webhook answers to outcomes", () => {
    expect([204, 200, 401, 403, 429, 400, 404, 413, 500, 503].map(webhookOutcome)).toEqual([
      "acknowledged", "acknowledged", "unverified", "unverified", "rate_limited", "rejected", "rejected", "rejected", "error", "error",
    ]);
  });
});

describe("who may scrape", () => {
  afterEach(() => {
    delete process.env.METRICS_TOKEN;
    delete process.env.METRICS;
    resetConfig();
  });
  const token = "t".repeat(40);

  it("serves nothing without a configured token, and only the token with one", () => {
    expect(metricsAccess(`Bearer ${token}`)).toBe("unconfigured");
    process.env.METRICS_TOKEN = token;
    resetConfig();
    expect(metricsAccess(`Bearer ${token}`)).toBe("allowed");
    expect(metricsAccess(`bearer ${token}`)).toBe("allowed");
    expect(metricsAccess(`Bearer ${token}x`)).toBe("refused");
    expect(metricsAccess(token)).toBe("refused");
    expect(metricsAccess(null)).toBe("refused");
    process.env.METRICS = "off";
    resetConfig();
    expect(metricsAccess(`Bearer ${token}`)).toBe("unconfigured");
  });

  it("refuses a token shorter than 32 characters at start", () => {
    process.env.METRICS_TOKEN = "short";
    resetConfig();
    expect(() => metricsAccess("Bearer short")).toThrow(/METRICS_TOKEN must be at least 32 characters/);
  });
});

describe("a process's scrape", () => {
  it("counts only while recording, and keeps what it counted", async () => {
    const count = async () => sampleValue(parseScrape((await processScrape()).body), "verbatim_rate_limit_refusals_total", { limit: "unit_test" });
    metrics().rateLimitRefusals.inc({ limit: "unit_test" });
    expect(recording()).toBe(true);
    expect(await count()).toBe(1);
    setRecording(false);
    try {
      expect(recording()).toBe(false);
      metrics().rateLimitRefusals.inc({ limit: "unit_test" });
    } finally {
      setRecording(true);
    }
    metrics().rateLimitRefusals.inc({ limit: "unit_test" });
    expect(await count()).toBe(2);
  });

  it("leaves out the gauges only app processes read from the database", async () => {
    const { body } = await processScrape();
    const names = new Set(parseScrape(body).map((s) => s.labels.__name__));
    expect(names.has("verbatim_job_workers_live")).toBe(false);
    expect(names.has("verbatim_job_queue_oldest_age_seconds")).toBe(false);
    expect(body).not.toMatch(/verbatim_calls_/);
    expect(names.has("process_resident_memory_bytes")).toBe(true);
  });
});
