import { memberRoute } from "@/lib/http/member-route";
import { holdRequestSchema } from "@/lib/retention/contracts";
import { listHolds, setHold } from "@/lib/retention/holds";

export const dynamic = "force-dynamic";

/** The organization's legal holds, active first, each with how many calls it protects. */
export const GET = memberRoute("retention.read", async ({ tx, orgId }) => Response.json({ holds: await listHolds(tx, { orgId }) }));

/**
 * Put a call, a saved search's calls (the call list's query string) or a campaign on legal
 * hold, with a reason; a custody event. Owners, admins and analysts. Another organization's call
 * or campaign is 404; a search the call list refuses is 422.
 */
export const POST = memberRoute<Record<string, never>, typeof holdRequestSchema>("hold.set", async ({ tx, membership, requestId, body }) => {
  return Response.json({ hold: await setHold(tx, { membership, requestId, request: body }) }, { status: 201 });
}, { body: holdRequestSchema, bodyLimit: 8 * 1024 });
