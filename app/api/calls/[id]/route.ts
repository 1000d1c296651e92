import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { getCallDetail, viewFor } from "@/lib/calls/queries";
import { withUser } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

/** One call with its timeline. Another organization's call (or a malformed id) is 404. */
export const GET = route<{ id: string }>(async (req, { params }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  if (!z.uuid().safeParse(params.id).success) throw new NotFoundError("Call not found.");
  const call = await withUser(session.claims, async (tx) => {
    const membership = await authorize(session, "operations.view", orgId, tx);
    return getCallDetail(tx, { orgId, callId: params.id, view: viewFor(membership) });
  });
  if (!call) throw new NotFoundError("Call not found.");
  return Response.json({ call });
});
