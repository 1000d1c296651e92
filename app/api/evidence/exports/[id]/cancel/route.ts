import { cancelExport } from "@/lib/evidence-sealing/bulk-export";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** POST /api/evidence/exports/:id/cancel — a queued or running export stops before its next call; otherwise 409. */
export const POST = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, params, log }) => {
  const canceled = await cancelExport(tx, { orgId, id: params.id });
  log.info({ exportId: canceled.id, done: canceled.done, total: canceled.total }, "evidence export canceled");
  return Response.json(canceled);
});
