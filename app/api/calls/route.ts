import { callListQuerySchema, placeCallRequestSchema } from "@/lib/calls/contracts";
import { placeCall } from "@/lib/calls/place-call";
import { listCalls, viewFor } from "@/lib/calls/queries";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

export const GET = memberRoute("operations.view", async ({ tx, orgId, membership, query }) => {
  return Response.json(await listCalls(tx, { orgId, before: query.before, limit: query.limit, view: viewFor(membership) }));
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
