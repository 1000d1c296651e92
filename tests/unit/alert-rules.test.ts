import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { metricsRegistry } from "@/lib/metrics";
import { Evaluator, expandValues, loadRules, parsePromQL, runRuleTests, type Series } from "@/tests/support/promql";

/**
 * docs/ops/alerts.yml and the Grafana dashboard beside it, checked as promtool would: every
 * expression parses with the Prometheus project's PromQL grammar, names only metrics the app
 * exports, and the promtool rule tests (docs/ops/alerts.test.yml) fire exactly the alerts they
 * expect (docs/adr/0042).
 */
const OPS = path.resolve(import.meta.dirname, "../../docs/ops");
const rules = loadRules(path.join(OPS, "alerts.yml")).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(path.join(OPS, "grafana-dashboard.json"), "utf8")) as {
  panels: { title: string; targets?: { expr: string }[] }[];
};

async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await metricsRegistry().getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === "histogram") for (const suffix of ["_bucket", "_count", "_sum"]) names.add(`${m.name}${suffix}`);
    if (type === "counter" && !m.name.endsWith("_total")) names.add(`${m.name}_total`);
  }
  return names;
}

function metricNames(expr: string): string[] {
  const top = parsePromQL(expr);
  const names: string[] = [];
  const cursor = top.cursor();
  do {
    if (cursor.name === "Identifier" && cursor.node.parent?.name === "VectorSelector") names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

describe("alert rules", () => {
  it("has the rules the issue names", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(["VerbatimCallFailureRateHigh", "VerbatimTranscriptionErrorRateHigh", "VerbatimWebhookVerificationFailures", "VerbatimSealingLagHigh", "VerbatimJobQueueStale"]),
    );
  });

  it("parses every rule's expression and names only metrics the app exports", async () => {
    const exported = await exportedNames();
    for (const rule of rules) {
      expect(() => parsePromQL(rule.expr), rule.alert).not.toThrow();
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${rule.alert}: ${name}`).toBe(true);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|ticket)$/);
    }
  });

  it("refuses what is not PromQL", () => {
    expect(() => parsePromQL("sum(rate(x[5m]) > ")).toThrow(/syntax error/);
    expect(() => parsePromQL("max by (a (b)")).toThrow(/syntax error/);
  });

  it("fires exactly the alerts its promtool rule tests expect", () => {
    const results = runRuleTests(path.join(OPS, "alerts.test.yml"));
    expect(results.length).toBeGreaterThanOrEqual(9);
    for (const r of results) {
      const sorted = (labels: Record<string, string>[]) => labels.map((l) => JSON.stringify(Object.entries(l).sort())).sort();
      expect(sorted(r.fired), `${r.alertname} at ${r.evalTime}`).toEqual(sorted(r.expected));
    }
  });

  it("the dashboard's every query parses and names exported metrics", async () => {
    const exported = await exportedNames();
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(queries.length).toBeGreaterThan(8);
    for (const q of queries) {
      expect(() => parsePromQL(q.expr), q.panel).not.toThrow();
      for (const name of metricNames(q.expr)) expect(exported.has(name), `${q.panel}: ${name}`).toBe(true);
    }
  });
});

describe("the rule evaluator agrees with Prometheus", () => {
  const at = (minutes: number) => minutes * 60_000;
  const series = (labels: Record<string, string>, values: string): Series => ({
    labels,
    points: expandValues(values).map((v, i) => [at(i), v!] as [number, number]),
  });

  it("expands promtool's notation", () => {
    expect(expandValues("1+2x3 _ 5x1 10-1x2")).toEqual([1, 3, 5, 7, null, 5, 5, 10, 9, 8]);
  });

  it("rate and increase extrapolate as Prometheus does, across a counter reset", () => {
    const e = new Evaluator([series({ __name__: "c", a: "x" }, "0+60x10"), series({ __name__: "r" }, "10 20 5 15 25 35")]);
    const rate = e.alerting("rate(c[5m])", at(10));
    expect(rate).toHaveLength(1);
    expect(rate[0]!.labels).toEqual({ a: "x" });
    expect(rate[0]!.value).toBeCloseTo(1, 10);
    expect(e.alerting("increase(c[5m])", at(10))[0]!.value).toBeCloseTo(300, 10);
    // Samples in (0, 5m]: 20 | 5 15 25 35, a reset after 20: 15 + 20 = 35 over 4 minutes, extrapolated
    // to the window's start (a minute before the first sample): 35 × 5/4.
    expect(e.alerting("increase(r[5m])", at(5))[0]!.value).toBeCloseTo(43.75, 10);
  });

  it("histogram_quantile interpolates within a bucket", () => {
    const e = new Evaluator([
      series({ __name__: "h_bucket", le: "1" }, "0+1x10"),
      series({ __name__: "h_bucket", le: "2" }, "0+3x10"),
      series({ __name__: "h_bucket", le: "+Inf" }, "0+4x10"),
    ]);
    // Per second: 1/60 in ≤1, 3/60 in ≤2, 4/60 in all; the median (rank 2/60) lies halfway into (1, 2].
    expect(e.alerting("histogram_quantile(0.5, sum by (le) (rate(h_bucket[5m])))", at(10))[0]!.value).toBeCloseTo(1.5, 10);
    // Past the last finite bucket: its upper bound.
    expect(e.alerting("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))", at(10))[0]!.value).toBe(2);
  });

  it("matches vectors by labels, filters by comparison, and refuses what it does not implement", () => {
    const e = new Evaluator([
      series({ __name__: "a", k: "1", instance: "i1" }, "10x5"),
      series({ __name__: "a", k: "2", instance: "i1" }, "1x5"),
      series({ __name__: "b", k: "1", instance: "i2" }, "5x5"),
    ]);
    expect(e.alerting("a > 5", at(3))).toEqual([{ labels: { __name__: "a", k: "1", instance: "i1" }, value: 10 }]);
    expect(e.alerting("a / ignoring (instance) b", at(3))).toEqual([{ labels: { k: "1" }, value: 2 }]);
    expect(e.alerting("sum without (instance) (a) and on (k) b", at(3))).toEqual([{ labels: { k: "1" }, value: 10 }]);
    expect(e.alerting("max(a) == bool 10", at(3))).toEqual([{ labels: {}, value: 1 }]);
    // The lookback: a sample older than 5 minutes is gone.
    expect(e.alerting("a", at(10))).toEqual([]);
    expect(() => e.alerting("absent(a)", at(3))).toThrow(/does not implement/);
    expect(() => e.alerting("a offset 1m", at(3))).toThrow();
  });
});
