import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { allows } from "@/lib/rbac/policy";
import { campaignResults, findCampaign } from "@/lib/campaigns/queries";
import { stringifyResults } from "@/lib/campaigns/results-csv";

export const dynamic = "force-dynamic";

/** One row per target (name, number masked for viewers, state, attempts, last outcome, call ids, score), formula-guarded. */
export const GET = memberRoute<{ id: string }>("campaign.read", async ({ tx, orgId, membership, params }) => {
  if (!(await findCampaign(tx, { orgId, id: params.id }))) throw new NotFoundError("Campaign not found.");
  const rows = await campaignResults(tx, {
    orgId,
    id: params.id,
    numbers: allows(membership.role, membership.plan, "numbers.view"),
    scores: allows(membership.role, membership.plan, "survey.read"),
  });
  return new Response(stringifyResults(rows), {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="campaign-${params.id}.csv"`, "cache-control": "no-store" },
  });
});
