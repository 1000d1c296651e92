import { getExport } from "@/lib/evidence-sealing/bulk-export";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** GET /api/evidence/exports/:id — status and progress (done of total, the call being archived). */
export const GET = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, params }) =>
  Response.json(await getExport(tx, { orgId, id: params.id }), { headers: { "cache-control": "no-store" } }),
);
