import { exportLink } from "@/lib/evidence-sealing/bulk-export";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * POST /api/evidence/exports/:id/link — a download URL for the caller, good for ten minutes:
 * 409 while the export is not completed, 410 once its archive has expired.
 */
export const POST = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, params, session }) =>
  Response.json(await exportLink(tx, { orgId, id: params.id, userId: session.userId }), { headers: { "cache-control": "no-store" } }),
);
