import { z } from "zod";
import { auth, requestCookieJar } from "@/lib/auth";
import { storableHeader } from "@/lib/http/pg-safe";
import { clientIp, readJson, route } from "@/lib/http/route";

const signInSchema = z.object({
  email: z.string().trim().min(3).max(255),
  password: z.string().min(1).max(1024),
});

export const POST = route(async (req, { log }) => {
  const body = await readJson(req, signInSchema, 8 * 1024);
  const session = await auth().signIn(await requestCookieJar(), {
    email: body.email,
    password: body.password,
    ip: clientIp(req),
    userAgent: storableHeader(req.headers.get("user-agent")),
  });
  log.info({ userId: session.userId }, "signed in");
  return Response.json({ user: { id: session.userId, email: session.email } });
});
