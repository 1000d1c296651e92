import { requestCookieJar } from "@/lib/auth";
import { emailLinkSessionRequestSchema, type SignedInResponse } from "@/lib/auth/contracts";
import { adoptEmailLinkSession } from "@/lib/auth/supabase";
import { config } from "@/lib/config";
import { NotFoundError } from "@/lib/errors";
import { readJson, route } from "@/lib/http/route";

/**
 * Supabase mode: the tokens from a Supabase invite or magic-link email (the URL fragment the
 * accept page read) become this browser's session cookies. Verified by Supabase first. The
 * embedded default has no such links: 404.
 */
export const POST = route(async (req, { log }) => {
  if (config().auth !== "supabase") throw new NotFoundError();
  const body = await readJson(req, emailLinkSessionRequestSchema, 16 * 1024);
  const session = await adoptEmailLinkSession(await requestCookieJar(), body);
  log.info({ userId: session.userId }, "signed in from an email link");
  return Response.json({ user: { id: session.userId, email: session.email } } satisfies SignedInResponse);
});
