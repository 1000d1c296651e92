import { memberRoute } from "@/lib/http/member-route";
import { dateOf, resolveRange } from "@/lib/insights/buckets";
import { insightsQuerySchema } from "@/lib/insights/contracts";
import { resolveCampaign } from "@/lib/insights/scope";
import { surveyInsights } from "@/lib/insights/surveys";

export const dynamic = "force-dynamic";

/** A survey's answer distributions over `from`–`to` (docs/adr/0036); another organization's survey or campaign is 404. */
export const GET = memberRoute<{ id: string }, never, typeof insightsQuerySchema>("insights.read", async ({ tx, orgId, params, query }) => {
  const range = resolveRange(query, dateOf(Date.now()));
  const campaign = await resolveCampaign(tx, orgId, query.campaign);
  return Response.json(await surveyInsights(tx, { orgId, surveyId: params.id, range, campaign }));
}, { query: insightsQuerySchema });
