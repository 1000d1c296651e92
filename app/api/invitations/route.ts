import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { readJson, route } from "@/lib/http/route";
import { createInvitation, listInvitations } from "@/lib/orgs/invitations";
import { ROLES } from "@/lib/rbac/policy";

export const dynamic = "force-dynamic";

const inviteSchema = z.object({
  email: z.email().max(255),
  role: z.enum(ROLES),
});

export const GET = route(async (req) => {
  const session = await requireSession();
  const invitations = await listInvitations(session, await activeOrgId(session, req));
  return Response.json({ invitations });
});

/** The same status and shape whether or not the address has an account; `acceptUrl` only when nothing was emailed. */
export const POST = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const input = await readJson(req, inviteSchema);
  const result = await createInvitation(session, orgId, input);
  log.info({ orgId, invitationId: result.invitation.id, role: result.invitation.role }, "invitation created");
  return Response.json(result, { status: 201 });
});
