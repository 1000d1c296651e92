import { viewFor } from "@/lib/calls/call-view";
import { memberRoute } from "@/lib/http/member-route";
import { dateOf, resolveRange } from "@/lib/insights/buckets";
import { insightsQuerySchema } from "@/lib/insights/contracts";
import { resolveCampaign } from "@/lib/insights/scope";
import { scriptInsights } from "@/lib/insights/scripts";

export const dynamic = "force-dynamic";

/** A shopper script's insights over `from`–`to` (docs/adr/0036); another organization's script or campaign is 404. */
export const GET = memberRoute<{ id: string }, never, typeof insightsQuerySchema>("insights.read", async ({ tx, orgId, membership, params, query }) => {
  const range = resolveRange(query, dateOf(Date.now()));
  const campaign = await resolveCampaign(tx, orgId, query.campaign);
  return Response.json(await scriptInsights(tx, { orgId, scriptId: params.id, range, campaign, view: viewFor(membership) }));
}, { query: insightsQuerySchema });
