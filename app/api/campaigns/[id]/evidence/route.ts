import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { requestExport } from "@/lib/evidence-sealing/bulk-export";
import { findCampaign } from "@/lib/campaigns/queries";

export const dynamic = "force-dynamic";

/**
 * The campaign's sealed calls as one bulk evidence export (POST /api/evidence/exports with the
 * call list's `campaign` filter): 202 with the export; owners, admins and analysts.
 */
export const POST = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, membership, session, params }) => {
  if (!(await findCampaign(tx, { orgId, id: params.id }))) throw new NotFoundError("Campaign not found.");
  const created = await requestExport(tx, { membership, userId: session.userId, request: { filter: { campaign: params.id } } });
  return Response.json(created, { status: 202 });
});
