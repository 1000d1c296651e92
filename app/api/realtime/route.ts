import { memberRoute, orgFromQuery } from "@/lib/http/member-route";
import { subscribe } from "@/lib/realtime/sse-hub";
import { sseResponse, streamDeadline } from "@/lib/realtime/sse-response";

// A live stream: never prerendered, never cached.
export const dynamic = "force-dynamic";

/**
 * Server-Sent Events for the Voice Operations page (embedded default; production uses Supabase
 * Realtime); the framing is lib/realtime/sse-response.ts. The organization is `?orgId=` (the
 * page's), else the active one; either way it must pass `operations.view`, so another
 * organization's id answers 404. The stream outlives the request, so it holds no transaction.
 */
export const GET = memberRoute("operations.view", async ({ req, session, orgId, log }) => {
  // Signing out (or being removed from the organization) closes the stream at once: the hub
  // hears of it from the database. A session that simply expires ends the stream then too.
  const sub = subscribe(orgId, { userId: session.userId, sessionId: session.claims.session_id ?? null });
  const streamLog = log.child({ orgId, userId: session.userId });
  return sseResponse(sub, { ready: { orgId }, deadline: streamDeadline(session.claims.exp), signal: req.signal, log: streamLog });
}, { org: orgFromQuery("orgId"), transaction: false });
