import { memberRoute } from "@/lib/http/member-route";
import { erasureRequestSchema } from "@/lib/retention/contracts";
import { listErasureRequests, requestErasure } from "@/lib/retention/erasure";

export const dynamic = "force-dynamic";

/** The organization's erasure requests, newest first. */
export const GET = memberRoute("retention.read", async ({ tx, orgId }) => Response.json({ requests: await listErasureRequests(tx, { orgId }) }));

/**
 * Erase a data subject: every call to or from the number loses its content (jobs), with
 * tombstones sealed as "erasure_request"; the answer names the calls a legal hold keeps. 202.
 * Owners and admins.
 */
export const POST = memberRoute<Record<string, never>, typeof erasureRequestSchema>("erasure.request", async ({ membership, body }) => {
  return Response.json({ erasure: await requestErasure({ membership, phoneNumber: body.phoneNumber, reason: body.reason }) }, { status: 202 });
}, { body: erasureRequestSchema, bodyLimit: 4 * 1024 });
