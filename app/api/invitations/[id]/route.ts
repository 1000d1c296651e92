import { memberRoute } from "@/lib/http/member-route";
import { revokeInvitation } from "@/lib/orgs/invitations";

/** Revoke an open invitation of the active organization; any other id is 404. */
export const DELETE = memberRoute<{ id: string }>("members.manage", async ({ tx, session, orgId, params, log }) => {
  await revokeInvitation(tx, { orgId, userId: session.userId, invitationId: params.id });
  log.info({ orgId, invitationId: params.id }, "invitation revoked");
  return new Response(null, { status: 204 });
});
