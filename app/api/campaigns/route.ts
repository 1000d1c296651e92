import { memberRoute } from "@/lib/http/member-route";
import { campaignCreateSchema, campaignListQuerySchema } from "@/lib/campaigns/contracts";
import { createCampaign } from "@/lib/campaigns/campaigns";
import { listCampaigns } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/** The organization's campaigns, newest first (every member, pro plan and up). */
export const GET = memberRoute("campaign.read", async ({ tx, orgId, query }) => {
  return Response.json(await listCampaigns(tx, { orgId, before: query.before, limit: query.limit }));
}, { query: campaignListQuerySchema });

/** Save a draft (owners and admins): 422 for a schedule, pace or modulations that do not hold. */
export const POST = memberRoute("campaign.manage", async ({ tx, membership, body }) => {
  return Response.json({ campaign: await createCampaign(tx, { membership, input: body }) }, { status: 201 });
}, { body: campaignCreateSchema, bodyLimit: 256 * 1024 });
