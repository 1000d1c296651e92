import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { config } from "@/lib/config";

/**
 * Who may scrape: whoever sends `Authorization: Bearer <METRICS_TOKEN>`. With no token
 * configured nothing is served (`unconfigured`: the route answers 404), so metrics are never
 * public by omission; `METRICS=off` serves nothing either. Compared in constant time over hashes.
 */
export type MetricsAccess = "allowed" | "refused" | "unconfigured";

export function metricsAccess(authorization: string | null): MetricsAccess {
  const { token, enabled } = config().metrics;
  if (!token || !enabled) return "unconfigured";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return "refused";
  const given = createHash("sha256").update(match[1]!).digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) ? "allowed" : "refused";
}
