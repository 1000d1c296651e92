import { memberRoute } from "@/lib/http/member-route";
import { moveCampaign } from "@/lib/campaigns/campaigns";
import { findCampaign } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/** Cancel the campaign (owners and admins); 409 `campaign_state` with what its state allows. */
export const POST = memberRoute<{ id: string }>("campaign.manage", async ({ tx, orgId, params }) => {
  await moveCampaign(tx, { orgId, id: params.id, act: "cancel" });
  return Response.json({ campaign: await findCampaign(tx, { orgId, id: params.id }) });
});
