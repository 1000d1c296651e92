import { viewFor } from "@/lib/calls/call-view";
import { memberRoute } from "@/lib/http/member-route";
import { targetCreateSchema, targetListQuerySchema } from "@/lib/targets/contracts";
import { listTargets } from "@/lib/targets/queries";
import { createTarget } from "@/lib/targets/targets";

export const dynamic = "force-dynamic";

/**
 * The organization's saved targets by name, a page at a time (`after`), narrowed by `q` (name,
 * notes and, for roles that see numbers, the number), `tag` (all of them) and `dnc`. Numbers
 * are masked for roles without `numbers.view`, as in the call list (docs/adr/0033).
 */
export const GET = memberRoute("target.read", async ({ tx, orgId, membership, query }) => {
  const { after, limit, ...filter } = query;
  return Response.json(await listTargets(tx, { orgId, filter, after, limit, view: viewFor(membership) }));
}, { query: targetListQuerySchema });

/** Save a target (owners and admins). 422 for a bad number or an unknown zone; 409 for a number already saved. */
export const POST = memberRoute("target.write", async ({ tx, membership, body }) => {
  return Response.json(await createTarget(tx, { membership, input: body }), { status: 201 });
}, { body: targetCreateSchema, bodyLimit: 8 * 1024 });
