import { memberRoute } from "@/lib/http/member-route";
import { endpointCreateSchema } from "@/lib/outbound/contracts";
import { createEndpoint, listEndpoints } from "@/lib/outbound/endpoints";

export const dynamic = "force-dynamic";

/** The organization's outbound webhook endpoints (owners and admins); secrets are never listed. */
export const GET = memberRoute("webhooks.manage", async ({ tx, orgId }) => {
  return Response.json({ endpoints: await listEndpoints(tx, { orgId }) });
});

/** Add an endpoint: 422 naming why a URL is refused; the signing secret is in this answer only. */
export const POST = memberRoute("webhooks.manage", async ({ tx, membership, body }) => {
  return Response.json(await createEndpoint(tx, { membership, input: body }), { status: 201, headers: { "cache-control": "no-store" } });
}, { body: endpointCreateSchema, bodyLimit: 16 * 1024 });
