import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { flowSchema } from "@/lib/calls/plan";
import { placeCall } from "@/lib/calls/place-call";
import { listCalls, viewFor } from "@/lib/calls/queries";
import { withUser } from "@/lib/db";
import { readJson, readQuery, route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

const listSchema = z.object({
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const GET = route(async (req) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const query = readQuery(req, listSchema);
  const result = await withUser(session.claims, async (tx) => {
    const membership = await authorize(session, "operations.view", orgId, tx);
    return listCalls(tx, { orgId, before: query.before, limit: query.limit, view: viewFor(membership) });
  });
  return Response.json(result);
});

const placeSchema = z.strictObject({
  to: z.string().trim().min(1, "give the number to call").max(32),
  flow: flowSchema.optional(),
  operatorPhone: z.string().trim().min(1).max(32).optional(),
  record: z.boolean().optional(),
  transcribe: z.boolean().optional(),
  translate: z.boolean().optional(),
  survey: z.boolean().optional(),
  shopperScript: z.boolean().optional(),
});

/** Place a call. Same Idempotency-Key again → the same call (200), nothing dialled twice. */
export const POST = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const body = await readJson(req, placeSchema, 8 * 1024);
  const { call, replayed } = await placeCall(session, orgId, body, req.headers.get("idempotency-key"), log);
  const status = replayed ? 200 : call.dialError?.code === "dial_outcome_unknown" ? 202 : 201;
  return Response.json({ call }, { status });
});
