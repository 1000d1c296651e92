import { GoneError } from "@/lib/errors";
import { memberRoute, sessionRoute } from "@/lib/http/member-route";
import type { MemberListResponse } from "@/lib/orgs/contracts";
import { listMembers } from "@/lib/orgs/members";

export const dynamic = "force-dynamic";

export const GET = memberRoute("members.manage", async ({ tx, orgId }) => {
  return Response.json({ members: await listMembers(tx, { orgId }) } satisfies MemberListResponse);
});

/** Adding people directly is gone: nobody joins without accepting an invitation. */
export const POST = sessionRoute(async () => {
  throw new GoneError("Members are no longer added directly. Invite them with POST /api/invitations; they join by accepting.", "use_invitations");
});
