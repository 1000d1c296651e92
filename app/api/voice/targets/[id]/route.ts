import { viewFor } from "@/lib/calls/call-view";
import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { targetUpdateSchema } from "@/lib/targets/contracts";
import { findTarget } from "@/lib/targets/queries";
import { deleteTarget, updateTarget } from "@/lib/targets/targets";

export const dynamic = "force-dynamic";

/** One target; another organization's id is 404. */
export const GET = memberRoute<{ id: string }>("target.read", async ({ tx, orgId, membership, params }) => {
  const target = await findTarget(tx, { orgId, id: params.id, view: viewFor(membership) });
  if (!target) throw new NotFoundError("Target not found.");
  return Response.json({ target });
});

/** Change a target: `{ dnc: true }` alone needs `target.dnc` (operators too); anything else `target.write`. */
export const PATCH = memberRoute<{ id: string }, typeof targetUpdateSchema>("target.dnc", async ({ tx, membership, params, body }) => {
  return Response.json({ target: await updateTarget(tx, { membership, id: params.id, input: body }) });
}, { body: targetUpdateSchema, bodyLimit: 8 * 1024 });

/** Delete a target (owners and admins); one marked do-not-call is kept (409 `target_dnc`). */
export const DELETE = memberRoute<{ id: string }>("target.write", async ({ tx, orgId, params }) => {
  await deleteTarget(tx, { orgId, id: params.id });
  return new Response(null, { status: 204 });
});
