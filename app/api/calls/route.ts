import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { callListQuerySchema, placeCallRequestSchema } from "@/lib/calls/contracts";
import { placeCall } from "@/lib/calls/place-call";
import { listCalls, viewFor } from "@/lib/calls/queries";
import { withUser } from "@/lib/db";
import { readJson, readQuery, route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const query = readQuery(req, callListQuerySchema);
  const result = await withUser(session.claims, async (tx) => {
    const membership = await authorize(session, "operations.view", orgId, tx);
    return listCalls(tx, { orgId, before: query.before, limit: query.limit, view: viewFor(membership) });
  });
  return Response.json(result);
});

/** Place a call. Same Idempotency-Key again → the same call (200), nothing dialled twice. */
export const POST = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const body = await readJson(req, placeCallRequestSchema, 8 * 1024);
  const { call, replayed } = await placeCall(session, orgId, body, req.headers.get("idempotency-key"), log);
  const status = replayed ? 200 : call.dialError?.code === "dial_outcome_unknown" ? 202 : 201;
  return Response.json({ call }, { status });
});
