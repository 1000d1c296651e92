import { chooseActiveOrg } from "@/lib/auth/active-org";
import { chooseOrgRequestSchema, type ChooseOrgResponse } from "@/lib/auth/contracts";
import { memberRoute } from "@/lib/http/member-route";

/**
 * Choose the organization the user works in, remembered per user. The target is the body's, not
 * the active one, and must pass `operations.view`: one they do not belong to is 404.
 */
export const POST = memberRoute("operations.view", async ({ tx, session, orgId }) => {
  await chooseActiveOrg(tx, { userId: session.userId, orgId });
  return Response.json({ activeOrgId: orgId } satisfies ChooseOrgResponse);
}, { body: chooseOrgRequestSchema, org: ({ body }) => body.orgId });
