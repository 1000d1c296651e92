import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { allows } from "@/lib/rbac/policy";
import { campaignProgress } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/** Targets by state, outcomes, scores (for roles that read shopper results), the pace achieved and an ETA. */
export const GET = memberRoute<{ id: string }>("campaign.read", async ({ tx, orgId, membership, params }) => {
  const progress = await campaignProgress(tx, { orgId, id: params.id, scores: allows(membership.role, membership.plan, "survey.read") });
  if (!progress) throw new NotFoundError("Campaign not found.");
  return Response.json({ progress }, { headers: { "cache-control": "no-store" } });
});
