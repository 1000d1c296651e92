import { evidenceExportRequestSchema } from "@/lib/evidence-sealing/export-contracts";
import { listExports, previewExport, requestExport } from "@/lib/evidence-sealing/bulk-export";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** A request names at most 500 call ids (about 19 kB); anything much larger is not one. */
const BODY_LIMIT = 32 * 1024;

/**
 * POST /api/evidence/exports — export the evidence of the sealed calls a filter (the call list's)
 * or a list of ids selects, as one archive built by a job (docs/adr/0020): 202 with the export.
 * `dryRun: true` only counts them (200). Owners, admins and analysts; 422 for no sealed calls,
 * more than 500, or a filter not supported yet. GET: the caller's recent exports.
 */
export const POST = memberRoute("evidence.export", async ({ tx, membership, session, body, requestId, log }) => {
  if (body.dryRun) return Response.json(await previewExport(tx, { membership, request: body }));
  const created = await requestExport(tx, { membership, userId: session.userId, request: body });
  log.info({ exportId: created.id, total: created.total, requestId }, "evidence export requested");
  return Response.json(created, { status: 202 });
}, { body: evidenceExportRequestSchema, bodyLimit: BODY_LIMIT });

export const GET = memberRoute("evidence.export", async ({ tx, orgId, session }) =>
  Response.json({ exports: await listExports(tx, { orgId, userId: session.userId }) }),
);
