import { callListQuerySchema, placeCallRequestSchema } from "@/lib/calls/contracts";
import { placeCall } from "@/lib/calls/place-call";
import { listCalls } from "@/lib/calls/queries";
import { viewFor } from "@/lib/calls/call-view";
import { memberRoute } from "@/lib/http/member-route";
import { check } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

/**
 * The call list, newest first, a page at a time (`before`), narrowed by the filters of
 * `callFilterSchema` (lib/calls/call-search.ts; docs/adr/0018). Content filters need the
 * content's read permission (403); `from` after `to`, `scoreMin` above `scoreMax` are 422.
 */
export const GET = memberRoute("operations.view", async ({ tx, orgId, membership, query }) => {
  const { before, limit, original, ...filter } = query;
  if (original) check(membership, "transcript.original", orgId);
  return Response.json(await listCalls(tx, { orgId, before, limit, filter, view: viewFor(membership, { original: Boolean(original) }) }));
}, { query: callListQuerySchema });

/**
 * Place a call. Same Idempotency-Key again → the same call (200), nothing dialled twice. Not one
 * transaction: the carrier is asked between the insert and the answer (lib/calls/place-call.ts).
 */
export const POST = memberRoute("calls.place", async ({ req, session, membership, body, log }) => {
  const { call, replayed } = await placeCall(session, membership, body, req.headers.get("idempotency-key"), log);
  const status = replayed ? 200 : call.dialError?.code === "dial_outcome_unknown" ? 202 : 201;
  return Response.json({ call }, { status });
}, { body: placeCallRequestSchema, bodyLimit: 8 * 1024, transaction: false });
