import { memberRoute } from "@/lib/http/member-route";
import { updateMemberRequestSchema, type MemberResponse } from "@/lib/orgs/contracts";
import { changeMemberRole, removeMember } from "@/lib/orgs/members";

/** Give a member of the active organization another role (owners and admins; owner roles: owners only). */
export const PATCH = memberRoute<{ userId: string }, typeof updateMemberRequestSchema>("members.manage", async ({ tx, membership, params, body, log }) => {
  const { member, previousRole } = await changeMemberRole(tx, { membership, userId: params.userId, role: body.role });
  log.info({ orgId: membership.orgId, actor: membership.userId, member: params.userId, from: previousRole, to: member.role }, "member role changed");
  return Response.json({ member } satisfies MemberResponse);
}, { body: updateMemberRequestSchema, bodyLimit: 1024 });

/** Remove a member; their next request no longer finds the organization. The last owner stays (409). */
export const DELETE = memberRoute<{ userId: string }>("members.manage", async ({ tx, membership, params, log }) => {
  const { previousRole } = await removeMember(tx, { membership, userId: params.userId });
  log.info({ orgId: membership.orgId, actor: membership.userId, member: params.userId, role: previousRole }, "member removed");
  return new Response(null, { status: 204 });
});
