import { requestCookieJar } from "@/lib/auth";
import type { RealtimeTokenResponse } from "@/lib/auth/contracts";
import { supabaseServerClient } from "@/lib/auth/supabase";
import { config } from "@/lib/config";
import { NotFoundError, UnauthenticatedError } from "@/lib/errors";
import { sessionRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * Supabase mode only: the signed-in user's access token for the browser's Realtime client.
 * Session cookies are httpOnly, so the browser cannot read the token itself; private channels
 * are then authorized by RLS on realtime.messages with this token. Never cached.
 */
export const GET = sessionRoute(async () => {
  if (config().realtime !== "supabase") throw new NotFoundError("Live updates use server-sent events here.");
  const { data } = await supabaseServerClient(await requestCookieJar()).auth.getSession();
  if (!data.session) throw new UnauthenticatedError();
  return Response.json({ accessToken: data.session.access_token } satisfies RealtimeTokenResponse, { headers: { "cache-control": "private, no-store" } });
});
