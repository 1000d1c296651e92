import { memberRoute } from "@/lib/http/member-route";
import { replayDelivery } from "@/lib/outbound/log";

export const dynamic = "force-dynamic";

/** Send a delivery again now, with the same webhook-id (owners and admins); 409 while it is still being tried. */
export const POST = memberRoute<{ id: string }>("webhooks.manage", async ({ tx, orgId, params }) => {
  await replayDelivery(tx, { orgId, id: params.id });
  return new Response(null, { status: 202 });
});
