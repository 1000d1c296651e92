import { evidenceExportDownloadQuerySchema } from "@/lib/evidence-sealing/export-contracts";
import { openExportDownload } from "@/lib/evidence-sealing/bulk-export";
import { memberRoute, orgFromQuery } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * GET /api/evidence/exports/:id/download?orgId=&exp=&sig= — the archive, streamed from storage.
 * Both the member's session (evidence.export in that organization) and the link it was given
 * are required: a link that is not theirs or has expired is 403, an archive past its expiry 410.
 */
export const GET = memberRoute<{ id: string }, never, typeof evidenceExportDownloadQuerySchema>(
  "evidence.export",
  async ({ tx, orgId, params, session, query }) => {
    const archive = await openExportDownload(tx, { orgId, id: params.id, userId: session.userId, exp: query.exp, sig: query.sig });
    return new Response(archive.body, {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${archive.fileName}"`,
        "content-length": String(archive.bytes),
        "cache-control": "no-store",
        "x-archive-sha256": archive.sha256,
      },
    });
  },
  { query: evidenceExportDownloadQuerySchema, org: orgFromQuery("orgId") },
);
