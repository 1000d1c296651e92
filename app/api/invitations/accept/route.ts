import { getSession, requestCookieJar } from "@/lib/auth";
import { clientIp, readJson, route } from "@/lib/http/route";
import { acceptInvitationRequestSchema, type AcceptInvitationResponse } from "@/lib/orgs/contracts";
import { acceptInvitationRequest } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

/**
 * Accept an invitation: `{ token }` signed in, or `{ token, password }` signed out in the
 * embedded default (lib/orgs/invitations.ts). Public in the proxy for that reason, so the session
 * is optional here rather than a member route's; the active organization does not change.
 */
export const POST = route(async (req, { log }) => {
  const body = await readJson(req, acceptInvitationRequestSchema, 8 * 1024);
  const userAgent = req.headers.get("user-agent") ?? undefined;
  const result = await acceptInvitationRequest(await getSession(), await requestCookieJar(), { ...body, ip: clientIp(req), userAgent });
  log.info({ orgId: result.accepted.organization.id, userId: result.userId }, result.signedIn ? "invitation accepted with a new sign-in" : "invitation accepted");
  return Response.json(result.accepted satisfies AcceptInvitationResponse);
});
