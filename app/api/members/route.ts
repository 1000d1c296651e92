import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { GoneError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { listMembers } from "@/lib/orgs/members";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const session = await requireSession();
  const members = await listMembers(session, await activeOrgId(session, req));
  return Response.json({ members });
});

/** Adding people directly is gone: nobody joins without accepting an invitation. */
export const POST = route(async () => {
  await requireSession();
  throw new GoneError("Members are no longer added directly. Invite them with POST /api/invitations; they join by accepting.", "use_invitations");
});
