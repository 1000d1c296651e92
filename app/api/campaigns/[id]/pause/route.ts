import { memberRoute } from "@/lib/http/member-route";
import { moveCampaign } from "@/lib/campaigns/campaigns";
import { findCampaign } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/** Pause the campaign (owners, admins and operators); 409 `campaign_state` with what its state allows. */
export const POST = memberRoute<{ id: string }>("campaign.pause", async ({ tx, orgId, params }) => {
  await moveCampaign(tx, { orgId, id: params.id, act: "pause" });
  return Response.json({ campaign: await findCampaign(tx, { orgId, id: params.id }) });
});
