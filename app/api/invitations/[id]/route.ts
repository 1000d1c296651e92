import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { NotFoundError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { revokeInvitation } from "@/lib/orgs/invitations";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Revoke an open invitation of the active organization; any other id is 404. */
export const DELETE = route<{ id: string }>(async (req, { params, log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  if (!UUID.test(params.id)) throw new NotFoundError("Invitation not found, or no longer open.");
  await revokeInvitation(session, orgId, params.id);
  log.info({ orgId, invitationId: params.id }, "invitation revoked");
  return new Response(null, { status: 204 });
});
