/**
 * Prometheus alerting rules checked without promtool (a Go binary the suite cannot install from
 * npm): every `expr` parsed by the Prometheus project's own PromQL grammar
 * (@prometheus-io/lezer-promql, what Prometheus's UI parses with), and evaluated by a small
 * evaluator that implements exactly the PromQL the rules use — instant and range selectors with
 * label matchers, rate, increase, histogram_quantile, sum/max/min/avg/count by/without,
 * arithmetic, comparisons (filtering or `bool`), and/or/unless with on/ignoring — with
 * Prometheus's semantics (5-minute lookback, rate's extrapolation, counter resets, bucket
 * interpolation). Anything else in an expression is an error, never a silent pass.
 *
 * `runRuleTests` runs promtool's own unit-test file format (`promtool test rules`):
 * input_series in its expanding notation, alert_rule_test with eval_time and exp_alerts, and
 * `for:` honoured across evaluations. docs/adr/0042.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { parse as parseYaml } from "yaml";

export type Labels = Record<string, string>;
export interface Series {
  labels: Labels;
  /** [unix ms, value], ascending. */
  points: [number, number][];
}
type Sample = { labels: Labels; value: number };
type Value = { kind: "scalar"; value: number } | { kind: "vector"; samples: Sample[] } | { kind: "matrix"; series: Series[] };

const LOOKBACK_MS = 5 * 60_000;

/** Parse one PromQL expression; throws naming the position of the first syntax error. */
export function parsePromQL(expr: string): SyntaxNode {
  const tree = parser.parse(expr);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error} in: ${expr}`);
  return tree.topNode;
}

export function durationMs(text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    consumed += m[0].length;
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2] as "ms"];
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`not a duration: ${text}`);
  return total;
}

const kids = (node: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

function unquote(text: string): string {
  if (text.startsWith("`")) return text.slice(1, -1);
  return JSON.parse(text.startsWith("'") ? `"${text.slice(1, -1).replace(/"/g, '\\"')}"` : text) as string;
}

type Matcher = { name: string; op: string; value: string };

function selectorOf(node: SyntaxNode, src: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const c of kids(node)) {
    if (c.name === "Identifier") matchers.push({ name: "__name__", op: "=", value: src.slice(c.from, c.to) });
    if (c.name === "LabelMatchers") {
      for (const m of kids(c)) {
        if (m.name !== "UnquotedLabelMatcher") continue;
        const [name, op, value] = kids(m);
        matchers.push({ name: src.slice(name!.from, name!.to), op: src.slice(op!.from, op!.to), value: unquote(src.slice(value!.from, value!.to)) });
      }
    }
  }
  return matchers;
}

function matches(labels: Labels, matchers: Matcher[]): boolean {
  return matchers.every(({ name, op, value }) => {
    const v = labels[name] ?? "";
    if (op === "=") return v === value;
    if (op === "!=") return v !== value;
    const re = new RegExp(`^(?:${value})$`);
    return op === "=~" ? re.test(v) : !re.test(v);
  });
}

const withoutName = (labels: Labels): Labels => {
  const { __name__: _, ...rest } = labels;
  return rest;
};
const signature = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/** Prometheus's extrapolatedRate (promql/functions.go) for rate and increase. */
function extrapolated(points: [number, number][], start: number, end: number, isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  let result = points[points.length - 1]![1] - points[0]![1];
  for (let i = 1; i < points.length; i++) if (points[i]![1] < points[i - 1]![1]) result += points[i - 1]![1];
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const sampled = (last[0] - first[0]) / 1000;
  const average = sampled / (points.length - 1);
  let toStart = (first[0] - start) / 1000;
  const toEnd = (end - last[0]) / 1000;
  if (result > 0 && first[1] >= 0) {
    const toZero = sampled * (first[1] / result);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  let factor = interval / sampled;
  if (isRate) factor /= (end - start) / 1000;
  return result * factor;
}

/** Prometheus's bucketQuantile (promql/quantile.go). */
function bucketQuantile(q: number, buckets: { le: number; count: number }[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  for (let i = 1; i < buckets.length; i++) buckets[i]!.count = Math.max(buckets[i]!.count, buckets[i - 1]!.count);
  const total = buckets[buckets.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  const b = buckets.findIndex((x) => x.count >= rank);
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let startBound = 0;
  let startCount = 0;
  if (b > 0) {
    startBound = buckets[b - 1]!.le;
    startCount = buckets[b - 1]!.count;
  }
  const endBound = buckets[b]!.le;
  const count = buckets[b]!.count - startCount;
  return count === 0 ? endBound : startBound + (endBound - startBound) * ((rank - startCount) / count);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  Gtr: (a, b) => a > b,
  Gte: (a, b) => a >= b,
  Lss: (a, b) => a < b,
  Lte: (a, b) => a <= b,
  Eql: (a, b) => a === b,
  Neq: (a, b) => a !== b,
};
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

export class Evaluator {
  constructor(private readonly series: Series[]) {}

  /** The expression's value at `time` (unix ms). */
  evaluate(expr: string, time: number): Value {
    const top = parsePromQL(expr);
    return this.node(top.firstChild!, expr, time);
  }

  /** The expression as an alert condition at `time`: the vector it returns (a scalar is refused). */
  alerting(expr: string, time: number): Sample[] {
    const value = this.evaluate(expr, time);
    if (value.kind !== "vector") throw new Error(`an alert expression must return a vector: ${expr}`);
    return value.samples;
  }

  private node(n: SyntaxNode, src: string, t: number): Value {
    switch (n.name) {
      case "ParenExpr":
        return this.node(kids(n).find((c) => c.name !== "(" && c.name !== ")")!, src, t);
      case "NumberDurationLiteral":
        return { kind: "scalar", value: Number(src.slice(n.from, n.to)) };
      case "VectorSelector": {
        const matchers = selectorOf(n, src);
        const samples: Sample[] = [];
        for (const s of this.series) {
          if (!matches(s.labels, matchers)) continue;
          const last = s.points.filter(([pt]) => pt <= t && pt > t - LOOKBACK_MS).at(-1);
          if (last) samples.push({ labels: s.labels, value: last[1] });
        }
        return { kind: "vector", samples };
      }
      case "MatrixSelector": {
        const [selector, range] = kids(n);
        const matchers = selectorOf(selector!, src);
        const ms = durationMs(src.slice(range!.from, range!.to));
        const series = this.series
          .filter((s) => matches(s.labels, matchers))
          .map((s) => ({ labels: s.labels, points: s.points.filter(([pt]) => pt <= t && pt > t - ms) }));
        return { kind: "matrix", series };
      }
      case "FunctionCall":
        return this.call(n, src, t);
      case "AggregateExpr":
        return this.aggregate(n, src, t);
      case "BinaryExpr":
        return this.binary(n, src, t);
      default:
        throw new Error(`the rule evaluator does not implement ${n.name}: ${src.slice(n.from, n.to)}`);
    }
  }

  private args(n: SyntaxNode): SyntaxNode[] {
    return kids(n).filter((c) => c.name !== "(" && c.name !== ")" && c.name !== ",");
  }

  private call(n: SyntaxNode, src: string, t: number): Value {
    const [ident, body] = kids(n);
    const fn = ident!.firstChild!.name;
    const args = this.args(body!);
    if (fn === "Rate" || fn === "Increase") {
      const range = args[0]!;
      if (range.name !== "MatrixSelector") throw new Error(`${fn} needs a range selector`);
      const ms = durationMs(src.slice(kids(range)[1]!.from, kids(range)[1]!.to));
      const matrix = this.node(range, src, t) as Extract<Value, { kind: "matrix" }>;
      const samples: Sample[] = [];
      for (const s of matrix.series) {
        const v = extrapolated(s.points, t - ms, t, fn === "Rate");
        if (v !== undefined) samples.push({ labels: withoutName(s.labels), value: v });
      }
      return { kind: "vector", samples };
    }
    if (fn === "HistogramQuantile") {
      const q = this.node(args[0]!, src, t);
      const v = this.node(args[1]!, src, t);
      if (q.kind !== "scalar" || v.kind !== "vector") throw new Error("histogram_quantile(scalar, vector)");
      const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
      for (const s of v.samples) {
        const { le, ...rest } = withoutName(s.labels);
        if (le === undefined) continue;
        const key = signature(rest);
        const group = groups.get(key) ?? { labels: rest, buckets: [] };
        group.buckets.push({ le: le === "+Inf" ? Infinity : Number(le), count: s.value });
        groups.set(key, group);
      }
      return { kind: "vector", samples: [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q.value, g.buckets) })) };
    }
    throw new Error(`the rule evaluator does not implement the function ${src.slice(ident!.from, ident!.to)}`);
  }

  private aggregate(n: SyntaxNode, src: string, t: number): Value {
    const parts = kids(n);
    const op = parts.find((c) => c.name === "AggregateOp")!.firstChild!.name;
    const modifier = parts.find((c) => c.name === "AggregateModifier");
    const body = parts.find((c) => c.name === "FunctionCallBody")!;
    const inner = this.node(this.args(body)[0]!, src, t);
    if (inner.kind !== "vector") throw new Error("aggregation over a non-vector");
    let grouping: (labels: Labels) => Labels = () => ({});
    if (modifier) {
      const kind = modifier.firstChild!.name;
      const names = kids(kids(modifier).find((c) => c.name === "GroupingLabels")!)
        .filter((c) => c.name === "LabelName")
        .map((c) => src.slice(c.from, c.to));
      grouping =
        kind === "By"
          ? (labels) => Object.fromEntries(names.filter((k) => k in labels).map((k) => [k, labels[k]!]))
          : (labels) => Object.fromEntries(Object.entries(withoutName(labels)).filter(([k]) => !names.includes(k)));
    }
    const groups = new Map<string, { labels: Labels; values: number[] }>();
    for (const s of inner.samples) {
      const labels = grouping(s.labels);
      const key = signature(labels);
      const group = groups.get(key) ?? { labels, values: [] };
      group.values.push(s.value);
      groups.set(key, group);
    }
    const reduce: Record<string, (v: number[]) => number> = {
      Sum: (v) => v.reduce((a, b) => a + b, 0),
      Max: (v) => Math.max(...v),
      Min: (v) => Math.min(...v),
      Avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
      Count: (v) => v.length,
    };
    if (!reduce[op]) throw new Error(`the rule evaluator does not implement the aggregation ${op}`);
    return { kind: "vector", samples: [...groups.values()].map((g) => ({ labels: g.labels, value: reduce[op]!(g.values) })) };
  }

  private binary(n: SyntaxNode, src: string, t: number): Value {
    const parts = kids(n);
    const [leftNode, opNode] = parts;
    const rightNode = parts[parts.length - 1]!;
    const op = opNode!.name;
    const isBool = parts.some((c) => c.name === "BoolModifier");
    const matching = parts.find((c) => c.name === "MatchingModifierClause");
    let key = (labels: Labels) => signature(withoutName(labels));
    if (matching) {
      const on = matching.firstChild!.name === "On";
      const names = kids(kids(matching).find((c) => c.name === "GroupingLabels")!)
        .filter((c) => c.name === "LabelName")
        .map((c) => src.slice(c.from, c.to));
      key = on
        ? (labels) => signature(Object.fromEntries(names.filter((k) => k in labels).map((k) => [k, labels[k]!])))
        : (labels) => signature(Object.fromEntries(Object.entries(withoutName(labels)).filter(([k]) => !names.includes(k))));
    }
    const left = this.node(leftNode!, src, t);
    const right = this.node(rightNode, src, t);

    if (op === "And" || op === "Or" || op === "Unless") {
      if (left.kind !== "vector" || right.kind !== "vector") throw new Error(`${op} needs two vectors`);
      const rightKeys = new Set(right.samples.map((s) => key(s.labels)));
      if (op === "And") return { kind: "vector", samples: left.samples.filter((s) => rightKeys.has(key(s.labels))) };
      if (op === "Unless") return { kind: "vector", samples: left.samples.filter((s) => !rightKeys.has(key(s.labels))) };
      const leftKeys = new Set(left.samples.map((s) => key(s.labels)));
      return { kind: "vector", samples: [...left.samples, ...right.samples.filter((s) => !leftKeys.has(key(s.labels)))] };
    }
    const compare = COMPARISONS[op];
    const arith = ARITHMETIC[op];
    if (!compare && !arith) throw new Error(`the rule evaluator does not implement the operator ${src.slice(opNode!.from, opNode!.to)}`);
    const apply = (a: number, b: number, labels: Labels): Sample | null => {
      if (arith) return { labels: withoutName(labels), value: arith(a, b) };
      const holds = compare!(a, b);
      if (isBool) return { labels: withoutName(labels), value: holds ? 1 : 0 };
      return holds ? { labels, value: a } : null;
    };
    if (left.kind === "scalar" && right.kind === "scalar") {
      return { kind: "scalar", value: arith ? arith(left.value, right.value) : compare!(left.value, right.value) ? 1 : 0 };
    }
    if (left.kind === "vector" && right.kind === "scalar") {
      return { kind: "vector", samples: left.samples.map((s) => apply(s.value, right.value, s.labels)).filter((s): s is Sample => s !== null) };
    }
    if (left.kind === "scalar" && right.kind === "vector") {
      const flipped = (a: number, b: number, labels: Labels): Sample | null => {
        if (arith) return { labels: withoutName(labels), value: arith(a, b) };
        const holds = compare!(a, b);
        if (isBool) return { labels: withoutName(labels), value: holds ? 1 : 0 };
        return holds ? { labels, value: b } : null;
      };
      return { kind: "vector", samples: right.samples.map((s) => flipped(left.value, s.value, s.labels)).filter((s): s is Sample => s !== null) };
    }
    if (left.kind !== "vector" || right.kind !== "vector") throw new Error("binary operator over a range");
    const byKey = new Map<string, Sample>();
    for (const s of right.samples) {
      const k = key(s.labels);
      if (byKey.has(k)) throw new Error("many-to-many matching is not allowed (group_left/right are not implemented)");
      byKey.set(k, s);
    }
    const samples: Sample[] = [];
    for (const s of left.samples) {
      const other = byKey.get(key(s.labels));
      if (!other) continue;
      const result = apply(s.value, other.value, s.labels);
      if (!result) continue;
      // With on/ignoring, arithmetic keeps the labels it matched on (Prometheus's resultMetric).
      samples.push(matching && arith ? { labels: Object.fromEntries(JSON.parse(key(s.labels)) as [string, string][]), value: result.value } : result);
    }
    return { kind: "vector", samples };
  }
}

// --- promtool's rule unit tests -------------------------------------------------------------

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Labels;
  annotations?: Labels;
}

export interface RuleFile {
  groups: { name: string; interval?: string; rules: AlertRule[] }[];
}

/** promtool's expanding notation: `1+2x3` is 1 3 5 7, `5x2` is 5 5 5, `_` a missing sample. */
export function expandValues(text: string): (number | null)[] {
  const out: (number | null)[] = [];
  for (const token of text.trim().split(/\s+/)) {
    const blank = /^_(?:x(\d+))?$/.exec(token);
    if (blank) {
      for (let i = 0; i < (blank[1] ? Number(blank[1]) : 1); i++) out.push(null);
      continue;
    }
    const m = /^(-?[\d.e+]+?)(?:([+-][\d.e]+)?x(\d+))?$/.exec(token);
    if (!m) throw new Error(`not promtool's series notation: ${token}`);
    const start = Number(m[1]);
    if (m[3] === undefined) {
      out.push(start);
      continue;
    }
    const step = m[2] ? Number(m[2]) : 0;
    for (let i = 0; i <= Number(m[3]); i++) out.push(start + step * i);
  }
  return out;
}

/** A series name as promtool reads it: `metric{a="b"}`. */
export function seriesLabels(text: string): Labels {
  const top = parsePromQL(text);
  const selector = top.firstChild!;
  if (selector.name !== "VectorSelector") throw new Error(`not a series: ${text}`);
  return Object.fromEntries(selectorOf(selector, text).map((m) => [m.name, m.value]));
}

interface RuleTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: {
    interval?: string;
    input_series: { series: string; values: string }[];
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: { exp_labels?: Labels; exp_annotations?: Labels }[] }[];
  }[];
}

export interface FiringAlert {
  labels: Labels;
  annotations: Labels;
}

/**
 * The alerts of `rule` firing at `at` (ms from 0), evaluated every `interval` ms from 0 as
 * Prometheus would: a labelset is pending from the first evaluation that returns it and fires
 * once it has been returned at every evaluation for `for`.
 */
export function firingAlerts(evaluator: Evaluator, rule: AlertRule, at: number, interval: number): FiringAlert[] {
  const hold = rule.for ? durationMs(rule.for) : 0;
  let activeSince = new Map<string, number>();
  let last: Sample[] = [];
  for (let t = 0; t <= at; t += interval) {
    last = evaluator.alerting(rule.expr, t);
    const next = new Map<string, number>();
    for (const s of last) {
      const k = signature(s.labels);
      next.set(k, activeSince.get(k) ?? t);
    }
    activeSince = next;
  }
  return last
    .filter((s) => at - activeSince.get(signature(s.labels))! >= hold)
    .map((s) => ({
      labels: { ...withoutName(s.labels), ...rule.labels },
      annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, v.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => s.labels[name] ?? "")])),
    }));
}

export function loadRules(file: string): RuleFile {
  return parseYaml(readFileSync(file, "utf8")) as RuleFile;
}

/** Run a promtool rule-test file; answers each alert_rule_test with what fired and what was expected. */
export function runRuleTests(testFile: string): { alertname: string; evalTime: string; expected: Labels[]; fired: Labels[] }[] {
  const spec = parseYaml(readFileSync(testFile, "utf8")) as RuleTestFile;
  const rules = spec.rule_files.flatMap((f) => loadRules(path.resolve(path.dirname(testFile), f)).groups.flatMap((g) => g.rules));
  const evaluationInterval = durationMs(spec.evaluation_interval ?? "1m");
  const results: { alertname: string; evalTime: string; expected: Labels[]; fired: Labels[] }[] = [];
  for (const test of spec.tests) {
    const interval = durationMs(test.interval ?? "1m");
    const series: Series[] = test.input_series.map((s) => ({
      labels: seriesLabels(s.series),
      points: expandValues(s.values)
        .map((v, i) => [i * interval, v] as [number, number | null])
        .filter((p): p is [number, number] => p[1] !== null),
    }));
    const evaluator = new Evaluator(series);
    for (const check of test.alert_rule_test ?? []) {
      const rule = rules.find((r) => r.alert === check.alertname);
      if (!rule) throw new Error(`no alert rule named ${check.alertname}`);
      const fired = firingAlerts(evaluator, rule, durationMs(check.eval_time), evaluationInterval).map((a) => a.labels);
      results.push({ alertname: check.alertname, evalTime: check.eval_time, expected: check.exp_alerts.map((e) => e.exp_labels ?? {}), fired });
    }
  }
  return results;
}
