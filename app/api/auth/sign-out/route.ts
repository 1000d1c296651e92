import { auth, requestCookieJar } from "@/lib/auth";
import { sessionRoute } from "@/lib/http/member-route";

export const POST = sessionRoute(async ({ session, log }) => {
  await auth().signOut(await requestCookieJar());
  log.info({ userId: session.userId }, "signed out");
  return new Response(null, { status: 204 });
});
