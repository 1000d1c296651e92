import { memberRoute } from "@/lib/http/member-route";
import { createInvitationRequestSchema, type CreateInvitationResponse, type InvitationListResponse } from "@/lib/orgs/contracts";
import { createInvitation, listInvitations } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

export const GET = memberRoute("members.manage", async ({ tx, orgId }) => {
  return Response.json({ invitations: await listInvitations(tx, { orgId }) } satisfies InvitationListResponse);
});

/**
 * The same status and shape whether or not the address has an account; `acceptUrl` only when
 * nothing was emailed. Not one transaction: no connection waits on the mail server.
 */
export const POST = memberRoute("members.manage", async ({ session, membership, body, log }) => {
  const result = await createInvitation(session, membership, body);
  log.info({ orgId: membership.orgId, invitationId: result.invitation.id, role: result.invitation.role }, "invitation created");
  return Response.json(result satisfies CreateInvitationResponse, { status: 201 });
}, { body: createInvitationRequestSchema, transaction: false });
