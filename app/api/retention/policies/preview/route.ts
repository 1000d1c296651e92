import { memberRoute } from "@/lib/http/member-route";
import { retentionPreviewRequestSchema } from "@/lib/retention/contracts";
import { previewPolicies } from "@/lib/retention/policies";

export const dynamic = "force-dynamic";

/**
 * What proposed retention policies would delete now (counts per kind, the calls, the calls a
 * hold keeps) and the token that confirms exactly this. Changes nothing. Owners and admins.
 */
export const POST = memberRoute<Record<string, never>, typeof retentionPreviewRequestSchema>("retention.manage", async ({ orgId, body }) => {
  return Response.json(await previewPolicies({ orgId, policies: body.policies }));
}, { body: retentionPreviewRequestSchema, bodyLimit: 8 * 1024 });
