import "server-only";
import type { Logger } from "@/lib/logger";
import type { Subscription } from "@/lib/realtime/sse-hub";

/**
 * Server-Sent Events framing for a hub subscription (embedded default; production uses Supabase
 * Realtime). Events: `ready` once subscribed, `change` `{ topic, callId }` per notice (refetch,
 * the notice carries no content), `reauth` before the server ends the stream; a comment line
 * as heartbeat.
 */

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

/** When a stream for a session expiring at `expiresAt` (seconds since the epoch) should end. */
export function streamDeadline(expiresAt: number): number {
  // Spread the reconnects of many tabs opened at the same moment (say, after a deploy).
  return Math.min(Date.now() + MAX_STREAM_MS * (0.8 + Math.random() * 0.2), expiresAt * 1000);
}

/**
 * The response that streams `sub` until `deadline`, the subscription closing (revoked session
 * or membership), or `signal` aborting (the client went away). The subscription is closed in
 * every case.
 */
export function sseResponse(
  sub: Subscription,
  { ready, deadline, signal, log }: { ready: unknown; deadline: number; signal: AbortSignal; log: Logger },
): Response {
  const stop = () => {
    if (sub.isClosed) return;
    sub.close();
    log.debug({ dropped: sub.dropped }, "realtime stream closed");
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n\n` + frame("ready", ready)));
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
}
