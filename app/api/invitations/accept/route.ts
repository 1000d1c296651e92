import { z } from "zod";
import { getSession, requestCookieJar } from "@/lib/auth";
import { UnauthenticatedError } from "@/lib/errors";
import { clientIp, readJson, route } from "@/lib/http/route";
import { acceptInvitation, acceptInvitationWithPassword } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

const acceptSchema = z.object({
  token: z.string().min(1).max(200),
  /** Embedded default, signed out: create the account for the invitation's email (or sign in to it). */
  password: z.string().min(12, "password: at least 12 characters").max(1024).optional(),
});

/**
 * Accept an invitation. Signed in: `{ token }`, as the session's verified email. Signed out, in
 * the embedded default: `{ token, password }` creates the local account for the invitation's
 * email, signs in and accepts in one step. Public in the proxy for that reason; without a
 * session and a password it is 401. The active organization does not change.
 */
export const POST = route(async (req, { log }) => {
  const body = await readJson(req, acceptSchema, 8 * 1024);
  const session = await getSession();
  if (session) {
    const accepted = await acceptInvitation(session, body.token);
    log.info({ orgId: accepted.organization.id, userId: session.userId }, "invitation accepted");
    return Response.json(accepted);
  }
  if (!body.password) throw new UnauthenticatedError("Sign in to accept this invitation, or create your account with a password.");
  const { session: created, accepted } = await acceptInvitationWithPassword(await requestCookieJar(), {
    token: body.token,
    password: body.password,
    ip: clientIp(req),
    userAgent: req.headers.get("user-agent") ?? undefined,
  });
  log.info({ orgId: accepted.organization.id, userId: created.userId }, "invitation accepted with a new sign-in");
  return Response.json(accepted);
});
