import { memberRoute } from "@/lib/http/member-route";
import { retentionApplyRequestSchema } from "@/lib/retention/contracts";
import { applyPolicies, readPolicies } from "@/lib/retention/policies";

export const dynamic = "force-dynamic";

/** The organization's retention policy per kind of content (null keeps for good). */
export const GET = memberRoute("retention.read", async ({ tx, orgId }) => Response.json({ policies: await readPolicies(tx, { orgId }) }));

/**
 * Apply policies exactly as previewed (POST …/preview): the same policies and the preview's
 * token, before it expires. 409 `preview_expired` or `preview_stale` changes nothing
 * (docs/adr/0037). Owners and admins.
 */
export const PUT = memberRoute<Record<string, never>, typeof retentionApplyRequestSchema>("retention.manage", async ({ membership, body }) => {
  return Response.json({ policies: await applyPolicies({ membership, policies: body.policies, token: body.token }) });
}, { body: retentionApplyRequestSchema, bodyLimit: 8 * 1024 });
