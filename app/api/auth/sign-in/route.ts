import { auth, requestCookieJar } from "@/lib/auth";
import { signInRequestSchema, type SignedInResponse } from "@/lib/auth/contracts";
import { storableHeader } from "@/lib/pg-safe";
import { clientIp, readJson, route } from "@/lib/http/route";

export const POST = route(async (req, { log }) => {
  const body = await readJson(req, signInRequestSchema, 8 * 1024);
  const session = await auth().signIn(await requestCookieJar(), {
    email: body.email,
    password: body.password,
    ip: clientIp(req),
    userAgent: storableHeader(req.headers.get("user-agent")),
  });
  log.info({ userId: session.userId }, "signed in");
  return Response.json({ user: { id: session.userId, email: session.email } } satisfies SignedInResponse);
});
