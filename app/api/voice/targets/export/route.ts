import { viewFor } from "@/lib/calls/call-view";
import { memberRoute } from "@/lib/http/member-route";
import { targetFilterSchema } from "@/lib/targets/contracts";
import { stringifyTargets } from "@/lib/targets/csv";
import { exportRows } from "@/lib/targets/queries";

export const dynamic = "force-dynamic";

/**
 * The targets the filters match (as the list's), as CSV in the import's columns: numbers masked
 * for roles without `numbers.view`, and every cell a spreadsheet would run as a formula prefixed
 * with an apostrophe.
 */
export const GET = memberRoute("target.read", async ({ tx, orgId, membership, query }) => {
  const csv = stringifyTargets(await exportRows(tx, { orgId, filter: query, view: viewFor(membership) }));
  const day = new Date().toISOString().slice(0, 10);
  return new Response(csv, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="targets-${day}.csv"`, "cache-control": "no-store" },
  });
}, { query: targetFilterSchema });
