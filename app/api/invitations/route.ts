import { z } from "zod";
import { memberRoute } from "@/lib/http/member-route";
import { createInvitation, listInvitations } from "@/lib/orgs/invitations";
import { ROLES } from "@/lib/rbac/policy";

export const dynamic = "force-dynamic";

const inviteSchema = z.object({
  email: z.email().max(255),
  role: z.enum(ROLES),
});

export const GET = memberRoute("members.manage", async ({ tx, orgId }) => {
  return Response.json({ invitations: await listInvitations(tx, { orgId }) });
});

/**
 * The same status and shape whether or not the address has an account; `acceptUrl` only when
 * nothing was emailed. Not one transaction: no connection waits on the mail server.
 */
export const POST = memberRoute("members.manage", async ({ session, membership, body, log }) => {
  const result = await createInvitation(session, membership, body);
  log.info({ orgId: membership.orgId, invitationId: result.invitation.id, role: result.invitation.role }, "invitation created");
  return Response.json(result, { status: 201 });
}, { body: inviteSchema, transaction: false });
