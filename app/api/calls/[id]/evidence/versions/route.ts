import { evidenceOfCall } from "@/lib/evidence-sealing/view";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * A call's manifest versions, their place in the log, the latest signed head and the custody
 * record (owners, admins, analysts). Each view of a sealed call is a custody event.
 */
export const GET = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, params, session, requestId }) => {
  return Response.json(await evidenceOfCall(tx, { orgId, callId: params.id, actorUserId: session.userId, requestId }));
});
