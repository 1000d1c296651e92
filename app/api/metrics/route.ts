import { NotFoundError, UnauthenticatedError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { metricsAccess } from "@/lib/operations/metrics-access";
import { appScrape } from "@/lib/operations/scrape";

export const dynamic = "force-dynamic";

/**
 * Prometheus metrics of this app process (text exposition), for `Authorization: Bearer
 * <METRICS_TOKEN>` only; without a configured token there is nothing here (404). docs/adr/0042.
 */
export const GET = route(async (req) => {
  const access = metricsAccess(req.headers.get("authorization"));
  if (access === "unconfigured") throw new NotFoundError("Not found.");
  if (access === "refused") throw new UnauthenticatedError("Send the metrics token as a bearer token.");
  const { contentType, body } = await appScrape();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});
