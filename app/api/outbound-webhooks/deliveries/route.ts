import { memberRoute } from "@/lib/http/member-route";
import { deliveryListQuerySchema } from "@/lib/outbound/contracts";
import { listDeliveries } from "@/lib/outbound/log";

export const dynamic = "force-dynamic";

/** The delivery log, newest first (owners and admins): event, attempts with status, latency and error. */
export const GET = memberRoute("webhooks.manage", async ({ tx, orgId, query }) => {
  return Response.json(await listDeliveries(tx, { orgId, endpointId: query.endpoint, before: query.before, limit: query.limit }));
}, { query: deliveryListQuerySchema });
