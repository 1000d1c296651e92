import parsePrometheusTextFormat from "parse-prometheus-text-format";
type Labels = Record<string, string>;

export interface ScrapedSample {
  labels: Labels & { __name__: string };
  value: number;
}

/**
 * A scrape's text, parsed by a Prometheus text-format parser (parse-prometheus-text-format, a
 * port of the Prometheus Python client's parser), as samples the way Prometheus stores them: a
 * histogram is its `_bucket` (with `le`), `_count` and `_sum` series. That parser folds a
 * histogram family into one unlabelled entry, losing its labels, so histogram families are
 * handed to it as untyped and each of their lines is parsed as a sample of its own.
 */
export function parseScrape(text: string): ScrapedSample[] {
  const histograms = new Set<string>();
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, (_, name: string) => {
    histograms.add(name);
    return `# TYPE ${name} untyped`;
  });
  const samples: ScrapedSample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const m of family.metrics) {
      if (m.value === undefined) throw new Error(`${family.name}: a sample without a value`);
      const value = Number(m.value);
      if (Number.isNaN(value) && !/^nan$/i.test(m.value)) throw new Error(`${family.name}: not a number: ${m.value}`);
      samples.push({ labels: { ...m.labels, __name__: family.name }, value });
    }
  }
  const names = new Set(samples.map((s) => s.labels.__name__));
  for (const h of histograms) {
    for (const suffix of ["_bucket", "_count", "_sum"]) if (!names.has(`${h}${suffix}`) && names.has(`${h}_count`)) throw new Error(`${h}: no ${suffix} series`);
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when none). */
export function sampleValue(samples: ScrapedSample[], name: string, labels: Labels = {}): number {
  const found = samples.filter((s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
