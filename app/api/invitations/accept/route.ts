import { z } from "zod";
import { getSession, requestCookieJar } from "@/lib/auth";
import { clientIp, readJson, route } from "@/lib/http/route";
import { acceptInvitationRequest } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

const acceptSchema = z.object({
  token: z.string().min(1).max(200),
  /** Embedded default, signed out: create the account for the invitation's email (or sign in to it). */
  password: z.string().min(12, "password: at least 12 characters").max(1024).optional(),
});

/**
 * Accept an invitation: `{ token }` signed in, or `{ token, password }` signed out in the
 * embedded default (lib/orgs/invitations.ts). Public in the proxy for that reason, so the session
 * is optional here rather than a member route's; the active organization does not change.
 */
export const POST = route(async (req, { log }) => {
  const body = await readJson(req, acceptSchema, 8 * 1024);
  const userAgent = req.headers.get("user-agent") ?? undefined;
  const result = await acceptInvitationRequest(await getSession(), await requestCookieJar(), { ...body, ip: clientIp(req), userAgent });
  log.info({ orgId: result.accepted.organization.id, userId: result.userId }, result.signedIn ? "invitation accepted with a new sign-in" : "invitation accepted");
  return Response.json(result.accepted);
});
