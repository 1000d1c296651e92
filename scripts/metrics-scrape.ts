import parsePrometheusTextFormat from "parse-prometheus-text-format";
type Labels = Record<string, string>;

export interface ScrapedSample {
  labels: Labels & { __name__: string };
  value: number;
}

/**
 * A scrape's text, parsed by a Prometheus text-format parser (parse-prometheus-text-format, a
 * port of the Prometheus Python client's parser), flattened to samples as Prometheus stores them:
 * a histogram is its `_bucket` (with `le`), `_count` and `_sum` series.
 */
export function parseScrape(text: string): ScrapedSample[] {
  const samples: ScrapedSample[] = [];
  for (const family of parsePrometheusTextFormat(text)) {
    for (const m of family.metrics) {
      const labels = m.labels ?? {};
      if (family.type === "HISTOGRAM") {
        for (const [le, count] of Object.entries(m.buckets ?? {})) samples.push({ labels: { ...labels, le, __name__: `${family.name}_bucket` }, value: Number(count) });
        samples.push({ labels: { ...labels, __name__: `${family.name}_count` }, value: Number(m.count) });
        samples.push({ labels: { ...labels, __name__: `${family.name}_sum` }, value: Number(m.sum) });
      } else {
        samples.push({ labels: { ...labels, __name__: family.name }, value: Number(m.value) });
      }
    }
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when none). */
export function sampleValue(samples: ScrapedSample[], name: string, labels: Labels = {}): number {
  const found = samples.filter((s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
