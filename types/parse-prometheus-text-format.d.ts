/** parse-prometheus-text-format ships no types: its output is prom2json's shape, values as strings. */
declare module "parse-prometheus-text-format" {
  interface Prom2JsonMetric {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface Prom2JsonFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: Prom2JsonMetric[];
  }
  export default function parsePrometheusTextFormat(text: string): Prom2JsonFamily[];
}
