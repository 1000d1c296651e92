import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { readJson, route } from "@/lib/http/route";
import { addMember, listMembers } from "@/lib/orgs/members";
import { ROLES } from "@/lib/rbac/policy";

export const dynamic = "force-dynamic";

const addMemberSchema = z.object({
  email: z.email().max(255),
  role: z.enum(ROLES),
  password: z.string().min(12, "password: at least 12 characters").max(1024).optional(),
});

export const GET = route(async (req) => {
  const session = await requireSession();
  const members = await listMembers(session, await activeOrgId(session, req));
  return Response.json({ members });
});

export const POST = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const input = await readJson(req, addMemberSchema);
  const member = await addMember(session, orgId, input);
  log.info({ orgId, memberId: member.userId, role: member.role }, "member added");
  return Response.json({ member }, { status: 201 });
});
