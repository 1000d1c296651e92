import { auth, requestCookieJar, requireSession } from "@/lib/auth";
import { route } from "@/lib/http/route";

export const POST = route(async (_req, { log }) => {
  const session = await requireSession();
  await auth().signOut(await requestCookieJar());
  log.info({ userId: session.userId }, "signed out");
  return new Response(null, { status: 204 });
});
