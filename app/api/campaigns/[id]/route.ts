import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { campaignUpdateSchema } from "@/lib/campaigns/contracts";
import { deleteCampaign, updateCampaign } from "@/lib/campaigns/campaigns";
import { findCampaign } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/** One campaign; another organization's id is 404. */
export const GET = memberRoute<{ id: string }>("campaign.read", async ({ tx, orgId, params }) => {
  const campaign = await findCampaign(tx, { orgId, id: params.id });
  if (!campaign) throw new NotFoundError("Campaign not found.");
  return Response.json({ campaign });
});

/** Change a draft (owners and admins); a launched campaign is 409 `campaign_state`. */
export const PATCH = memberRoute<{ id: string }, typeof campaignUpdateSchema>("campaign.manage", async ({ tx, membership, params, body }) => {
  return Response.json({ campaign: await updateCampaign(tx, { membership, id: params.id, input: body }) });
}, { body: campaignUpdateSchema, bodyLimit: 256 * 1024 });

/** Delete a draft (owners and admins); a launched campaign is kept (409). */
export const DELETE = memberRoute<{ id: string }>("campaign.manage", async ({ tx, orgId, params }) => {
  await deleteCampaign(tx, { orgId, id: params.id });
  return new Response(null, { status: 204 });
});
