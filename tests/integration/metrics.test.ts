import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { forgetDatabaseGauges } from "@/lib/operations/scrape";
import { createOrg, member } from "@/tests/support/fixtures";
import { parseScrape, sampleValue, type ScrapedSample } from "@/scripts/metrics-scrape";
import { Evaluator, firingAlerts, loadRules, type Series } from "@/tests/support/promql";
import { configureSignalWire, ctx, queuedCall, sidOf, signedRequest, statusParams, statusPath } from "@/tests/support/signalwire";
import path from "node:path";

/**
 * /api/metrics as a scraper sees it (docs/adr/0042): only with the bearer token, in Prometheus's
 * text format, counters that move with the webhooks the app answers, database gauges that follow
 * the calls, no label that names a call, a number or a person, and the alert rules firing on the
 * series the app produced.
 */
const TOKEN = "metrics-token-for-the-integration-test-0123456789";
configureSignalWire({ METRICS_TOKEN: TOKEN });
const metricsRoute = await import("@/app/api/metrics/route");
const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");

const rules = loadRules(path.resolve(import.meta.dirname, "../../docs/ops/alerts.yml")).groups.flatMap((g) => g.rules);
const WEBHOOK = { provider: "signalwire", route: "/api/webhooks/signalwire/{callId}/status" };
const COUNT = "verbatim_webhook_request_duration_seconds_count";

let orgId: string;
let userId: string;
beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await member(orgId, "operator")).userId;
});
afterAll(() => {
  delete process.env.METRICS_TOKEN;
  resetConfig();
});

async function scrape(token: string | null = TOKEN): Promise<Response> {
  const headers = token === null ? undefined : { authorization: `Bearer ${token}` };
  return metricsRoute.GET(new Request("http://127.0.0.1:3000/api/metrics", { headers }), ctx({}));
}

async function samples(): Promise<ScrapedSample[]> {
  const res = await scrape();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
}

/** A call through its signed status callbacks to `final`. */
async function endedCall(final: "completed" | "failed"): Promise<string> {
  const callId = await queuedCall(orgId, userId);
  const sid = sidOf(`metrics-${callId}`);
  const steps = final === "completed" ? ["initiated", "ringing", "in-progress", "completed"] : ["initiated", "failed"];
  for (const [seq, s] of steps.entries()) {
    const res = await status.POST(signedRequest(statusPath(callId), statusParams(sid, s, seq, { Timestamp: new Date().toUTCString() })), ctx({ callId }));
    expect(res.status).toBe(204);
  }
  return callId;
}

describe("who may scrape", () => {
  it("answers 401 without the token or with another, 200 with it", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape("not-the-token")).status).toBe(401);
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE verbatim_webhook_request_duration_seconds histogram");
  });

  it("serves nothing (404) when no token is configured, whatever is sent", async () => {
    delete process.env.METRICS_TOKEN;
    resetConfig();
    try {
      expect((await scrape()).status).toBe(404);
      expect((await scrape(null)).status).toBe(404);
    } finally {
      configureSignalWire({ METRICS_TOKEN: TOKEN });
    }
  });
});

describe("what a scrape shows", () => {
  it("counts webhook acknowledgements and verification failures by provider, route template and outcome", async () => {
    const before = await samples();
    const callId = await queuedCall(orgId, userId);
    const sid = sidOf(`counted-${callId}`);
    for (const [seq, s] of ["initiated", "ringing", "ringing"].entries()) {
      expect((await status.POST(signedRequest(statusPath(callId), statusParams(sid, s, seq)), ctx({ callId }))).status).toBe(204);
    }
    for (let i = 0; i < 2; i++) {
      const forged = await status.POST(signedRequest(statusPath(callId), statusParams(sid, "completed", 9), { key: "not-the-signing-key" }), ctx({ callId }));
      expect(forged.status).toBe(403);
    }
    const after = await samples();
    const moved = (outcome: string) => sampleValue(after, COUNT, { ...WEBHOOK, outcome }) - sampleValue(before, COUNT, { ...WEBHOOK, outcome });
    expect(moved("acknowledged")).toBe(3);
    expect(moved("unverified")).toBe(2);
    const ackBuckets = after.filter((s) => s.labels.__name__ === "verbatim_webhook_request_duration_seconds_bucket" && s.labels.outcome === "acknowledged");
    expect(ackBuckets.find((s) => s.labels.le === "+Inf")!.value).toBe(sampleValue(after, COUNT, { ...WEBHOOK, outcome: "acknowledged" }));
  });

  it("labels nothing with a call id, a number, a user or an organization", async () => {
    await endedCall("completed");
    const all = await samples();
    const values = all.flatMap((s) => Object.values(s.labels));
    const forbidden = [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, /\+\d{7,}/, /CA[0-9a-f]{32}/];
    for (const value of values) for (const re of forbidden) expect(value, value).not.toMatch(re);
    expect(values).not.toContain(orgId);
    expect(values).not.toContain(userId);
    const routes = new Set(all.filter((s) => s.labels.route).map((s) => s.labels.route));
    expect([...routes]).toEqual(["/api/webhooks/signalwire/{callId}/status"]);
  });

  it("reads calls by status and flow, and the job queue, from the database", async () => {
    forgetDatabaseGauges();
    const before = await samples();
    await endedCall("failed");
    await queuedCall(orgId, userId);
    await sql()`select graphile_worker.add_job('reconcile_calls', '{}'::json, job_key => ${`metrics-test-${randomUUID()}`})`;
    forgetDatabaseGauges();
    const after = await samples();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("verbatim_calls_ended_recent", { status: "failed", flow: "direct" })).toBe(1);
    expect(delta("verbatim_calls_open", { status: "queued", flow: "direct" })).toBe(1);
    expect(delta("verbatim_job_queue_depth", { task: "reconcile_calls" })).toBe(1);
    expect(sampleValue(after, "verbatim_job_queue_oldest_age_seconds")).toBeGreaterThanOrEqual(0);
    // Every status and flow has its series, zeros included, so a ratio never reads "no data".
    expect(sampleValue(after, "verbatim_calls_ended_recent", { status: "canceled", flow: "bridge" })).toBe(0);
    expect(after.some((s) => s.labels.__name__ === "verbatim_calls_ended_recent" && s.labels.status === "canceled" && s.labels.flow === "bridge")).toBe(true);
    await sql()`delete from graphile_worker._private_jobs where task_id = (select id from graphile_worker._private_tasks where identifier = 'reconcile_calls')`;
  });
});

describe("the alert rules on what the app exported", () => {
  const rule = (name: string) => rules.find((r) => r.alert === name)!;
  /** A series held at each scraped value from 0 to `minutes`, one sample a minute, as Prometheus would store a steady gauge. */
  const held = (scraped: ScrapedSample[], name: string, minutes: number): Series[] =>
    scraped
      .filter((s) => s.labels.__name__ === name)
      .map((s) => ({ labels: { ...s.labels, instance: "app-1" }, points: Array.from({ length: minutes + 1 }, (_, i) => [i * 60_000, s.value] as [number, number]) }));

  it("fires the call failure rate alert once more than 5% of 20+ recent calls failed, for 5 minutes", async () => {
    // Whatever earlier tests ended, bring the window to at least 20 calls with more than 5% failed.
    for (let i = 0; i < 20; i++) await endedCall(i % 4 === 0 ? "failed" : "completed");
    forgetDatabaseGauges();
    const scraped = await samples();
    const failed = sampleValue(scraped, "verbatim_calls_ended_recent", { status: "failed", flow: "direct" });
    const all = scraped.filter((s) => s.labels.__name__ === "verbatim_calls_ended_recent").reduce((n, s) => n + s.value, 0);
    expect(all).toBeGreaterThanOrEqual(20);
    expect(failed / all).toBeGreaterThan(0.05);
    const evaluator = new Evaluator(held(scraped, "verbatim_calls_ended_recent", 10));
    expect(firingAlerts(evaluator, rule("VerbatimCallFailureRateHigh"), 4 * 60_000, 60_000)).toEqual([]);
    expect(firingAlerts(evaluator, rule("VerbatimCallFailureRateHigh"), 6 * 60_000, 60_000).map((a) => a.labels)).toEqual([{ severity: "page" }]);

    // The same calls with their failures completed instead: quiet.
    const healthy = held(scraped, "verbatim_calls_ended_recent", 10).map((s) => (s.labels.status === "failed" ? { ...s, labels: { ...s.labels, status: "completed" } } : s));
    expect(firingAlerts(new Evaluator(healthy), rule("VerbatimCallFailureRateHigh"), 6 * 60_000, 60_000)).toEqual([]);
  });

  it("fires the webhook verification failures alert on forged callbacks, refused ones included", async () => {
    const unverified = (s: ScrapedSample) => s.labels.__name__ === COUNT && /^(unverified|rate_limited)$/.test(s.labels.outcome ?? "");
    const first = await samples();
    const callId = await queuedCall(orgId, userId);
    for (let i = 0; i < 12; i++) {
      const res = await status.POST(signedRequest(statusPath(callId), statusParams(sidOf("forged"), "completed", i), { header: null }), ctx({ callId }));
      // Past 20 failures from one address in 10 minutes the answer is 429 (docs/adr/0031).
      expect([403, 429]).toContain(res.status);
    }
    const second = await samples();
    // The first scrape's counts held for 5 minutes, the second's for 5 more.
    const byKey = new Map<string, Series>();
    for (const [scraped, minutes] of [[first, [0, 1, 2, 3, 4]], [second, [5, 6, 7, 8, 9, 10]]] as const) {
      for (const s of scraped.filter(unverified)) {
        const key = JSON.stringify(s.labels);
        const series = byKey.get(key) ?? { labels: s.labels, points: [] };
        for (const m of minutes) series.points.push([m * 60_000, s.value]);
        byKey.set(key, series);
      }
    }
    const evaluator = new Evaluator([...byKey.values()]);
    expect(firingAlerts(evaluator, rule("VerbatimWebhookVerificationFailures"), 4 * 60_000, 60_000)).toEqual([]);
    expect(firingAlerts(evaluator, rule("VerbatimWebhookVerificationFailures"), 10 * 60_000, 60_000).map((a) => a.labels)).toEqual([{ provider: "signalwire", severity: "page" }]);
  });
});
