import { memberRoute } from "@/lib/http/member-route";
import { endpointUpdateSchema } from "@/lib/outbound/contracts";
import { deleteEndpoint, findEndpoint, updateEndpoint } from "@/lib/outbound/endpoints";

export const dynamic = "force-dynamic";

/** One endpoint; another organization's id is 404. */
export const GET = memberRoute<{ id: string }>("webhooks.manage", async ({ tx, orgId, params }) => {
  return Response.json({ endpoint: await findEndpoint(tx, { orgId, id: params.id }) });
});

/** Change the URL (checked again: 422), description, event types, or turn it on or off. */
export const PATCH = memberRoute<{ id: string }, typeof endpointUpdateSchema>("webhooks.manage", async ({ tx, orgId, params, body }) => {
  return Response.json({ endpoint: await updateEndpoint(tx, { orgId, id: params.id, input: body }) });
}, { body: endpointUpdateSchema, bodyLimit: 16 * 1024 });

/** Delete the endpoint with its secrets and its delivery log. */
export const DELETE = memberRoute<{ id: string }>("webhooks.manage", async ({ tx, orgId, params }) => {
  await deleteEndpoint(tx, { orgId, id: params.id });
  return new Response(null, { status: 204 });
});
