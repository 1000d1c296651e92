import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";
import { subscribe } from "@/lib/realtime/sse-hub";

// A live stream: never prerendered, never cached.
export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;
/** Tells EventSource how long to wait before its own reconnect (the page's client has its own). */
const RETRY_MS = 3_000;
/**
 * Streams end after about ten minutes (or when the session expires, if sooner) and the client
 * reconnects at once; a reconnect is a new request, so the session and membership are checked
 * again. Signing out or being removed from the organization ends the stream within moments.
 */
const MAX_STREAM_MS = 10 * 60_000;

const encoder = new TextEncoder();

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Server-Sent Events for the Voice Operations page (embedded default; production uses Supabase
 * Realtime). Events: `ready` `{ orgId }` once subscribed, `change` `{ topic, callId }` per
 * notice (refetch, the notice carries no content), `reauth` before the server ends the stream.
 * The organization is `?orgId=` (the page's), else the active one; either way it must pass
 * `operations.view`, so another organization's id answers 404.
 */
export const GET = route(async (req, { log }) => {
  const session = await requireSession();
  const requested = new URL(req.url).searchParams.get("orgId");
  const orgId = requested || (await activeOrgId(session, req));
  const membership = await authorize(session, "operations.view", orgId);

  // Signing out (or being removed from the organization) closes the stream at once: the hub
  // hears of it from the database. A session that simply expires ends the stream then too.
  const sub = subscribe(membership.orgId, { userId: session.userId, sessionId: session.claims.session_id ?? null });
  const streamLog = log.child({ orgId: membership.orgId, userId: session.userId });
  // Spread the reconnects of many tabs opened at the same moment (say, after a deploy).
  const deadline = Math.min(Date.now() + MAX_STREAM_MS * (0.8 + Math.random() * 0.2), session.claims.exp * 1000);

  const stop = () => {
    if (sub.isClosed) return;
    sub.close();
    streamLog.debug({ dropped: sub.dropped }, "realtime stream closed");
  };
  if (req.signal.aborted) stop();
  else req.signal.addEventListener("abort", stop, { once: true });

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n\n` + frame("ready", { orgId: membership.orgId })));
    },
    async pull(controller) {
      try {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          controller.enqueue(encoder.encode(frame("reauth", {})));
          stop();
          controller.close();
          return;
        }
        const outcome = await sub.wait(Math.min(HEARTBEAT_MS, remaining));
        if (outcome === "closed") {
          // Revoked (or cancelled): a reconnect re-checks the session and membership.
          controller.enqueue(encoder.encode(frame("reauth", {})));
          controller.close();
        } else if (outcome === "timeout") {
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
        } else {
          const text = sub.drain().map((notice) => frame("change", notice)).join("");
          if (text) controller.enqueue(encoder.encode(text));
        }
      } catch {
        // The client went away while we waited: the stream is already cancelled.
        stop();
      }
    },
    cancel() {
      stop();
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform: compression middleware (Next's included) must not buffer the stream.
      "cache-control": "no-cache, no-transform",
      // nginx and similar proxies buffer responses unless told not to.
      "x-accel-buffering": "no",
    },
  });
});
