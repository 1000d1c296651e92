import { memberRoute } from "@/lib/http/member-route";
import { findCampaign } from "@/lib/campaigns/queries";
import { launchCampaign } from "@/lib/campaigns/runner";

export const dynamic = "force-dynamic";

/** Launch a draft (owners and admins): its targets are fixed now; 409 `campaign_state` when not a draft, 422 `no_targets`. */
export const POST = memberRoute<{ id: string }>("campaign.manage", async ({ tx, membership, orgId, params }) => {
  const { targets } = await launchCampaign(tx, { membership, id: params.id });
  return Response.json({ campaign: await findCampaign(tx, { orgId, id: params.id }), targets });
});
