import { memberRoute } from "@/lib/http/member-route";
import { IMPORT_MAX_BYTES, IMPORT_MEDIA_TYPES, targetImportBodySchema, targetImportQuerySchema } from "@/lib/targets/contracts";
import { commitImport, previewImport } from "@/lib/targets/import";

export const dynamic = "force-dynamic";

/**
 * Import targets from CSV (`text/csv`, at most 256 KiB and 2,000 rows; owners and admins).
 * `?mode=preview` changes nothing and answers the rows it would save, the rows it refuses with
 * their reasons, and a token; `?mode=commit&token=` with the same file saves exactly those rows
 * in one transaction, or answers 409 `preview_stale` and saves nothing (docs/adr/0033).
 */
export const POST = memberRoute("target.write", async ({ tx, orgId, membership, body, query }) => {
  if (query.mode === "preview") return Response.json({ mode: "preview", ...(await previewImport(tx, { orgId, csv: body })) });
  return Response.json(await commitImport(tx, { membership, csv: body, token: query.token! }), { status: 201 });
}, { body: targetImportBodySchema, textBody: IMPORT_MEDIA_TYPES, bodyLimit: IMPORT_MAX_BYTES, query: targetImportQuerySchema });
