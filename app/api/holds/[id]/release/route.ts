import { memberRoute } from "@/lib/http/member-route";
import { holdReleaseRequestSchema } from "@/lib/retention/contracts";
import { releaseHold } from "@/lib/retention/holds";

export const dynamic = "force-dynamic";

/** Lift a legal hold, with a reason; a custody event. Owners and admins. 409 `already_released`. */
export const POST = memberRoute<{ id: string }, typeof holdReleaseRequestSchema>("hold.release", async ({ membership, requestId, params, body }) => {
  return Response.json({ hold: await releaseHold({ membership, requestId, holdId: params.id, reason: body.reason }) });
}, { body: holdReleaseRequestSchema, bodyLimit: 4 * 1024 });
