import type { z } from "zod";
import { callDetailQuerySchema } from "@/lib/calls/contracts";
import { getCallDetail } from "@/lib/call-detail/detail";
import { viewFor } from "@/lib/calls/call-view";
import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { check } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

/**
 * One call with its timeline, transcription and translations. Another organization's call (or a
 * malformed id) is 404. `?original=1`: the unredacted transcript of a redacted call (owners, admins).
 */
export const GET = memberRoute<{ id: string }, z.ZodUndefined, typeof callDetailQuerySchema>("operations.view", async ({ tx, orgId, membership, params, query }) => {
  if (query.original) check(membership, "transcript.original", orgId);
  const call = await getCallDetail(tx, { orgId, callId: params.id, view: viewFor(membership, { original: Boolean(query.original) }) });
  if (!call) throw new NotFoundError("Call not found.");
  return Response.json({ call });
}, { query: callDetailQuerySchema });
