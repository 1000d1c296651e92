import { z } from "zod";
import { getCallDetail, viewFor } from "@/lib/calls/queries";
import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** One call with its timeline. Another organization's call (or a malformed id) is 404. */
export const GET = memberRoute<{ id: string }>("operations.view", async ({ tx, orgId, membership, params }) => {
  if (!z.uuid().safeParse(params.id).success) throw new NotFoundError("Call not found.");
  const call = await getCallDetail(tx, { orgId, callId: params.id, view: viewFor(membership) });
  if (!call) throw new NotFoundError("Call not found.");
  return Response.json({ call });
});
