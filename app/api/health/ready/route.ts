import { route } from "@/lib/http/route";
import { readinessReport } from "@/lib/operations/readiness";

export const dynamic = "force-dynamic";

/**
 * Readiness: `healthy` or `degraded` (a provider, storage or the worker down, named in
 * `degraded`) answer 200 with `ready: true`; `critical` (the database unreachable or its
 * migrations not current) answers 503. Each dependency's state and latency; cached 10 s.
 */
export const GET = route(async () => {
  const report = await readinessReport();
  return Response.json(report, { status: report.ready ? 200 : 503, headers: { "cache-control": "no-store" } });
});
