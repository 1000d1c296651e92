import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import type { RealtimeTokenResponse } from "@/lib/auth/contracts";
import type { RealtimeNotice } from "@/lib/calls/contracts";
import { backoffDelay, stateAfterFailure, type ConnectionState } from "@/lib/realtime/backoff";

/**
 * Live updates in the browser behind one interface, with the adapter the server chose
 * (`config().realtime`): Server-Sent Events from /api/realtime in the embedded default, a
 * private Supabase Realtime channel `org:<id>` in production. Both deliver the same
 * `RealtimeNotice` ("this call changed, refetch it") and report the same connection states.
 */
export type { ConnectionState } from "@/lib/realtime/backoff";

export type RealtimeTransport =
  | { kind: "sse" }
  | {
      kind: "supabase";
      /** Public values (NEXT_PUBLIC_SUPABASE_URL and the publishable key). */
      url: string;
      publishableKey: string;
      /**
       * Where to fetch the user's access token (`{ accessToken }` JSON). Needed because the
       * session cookies are httpOnly, so the browser client cannot read the session itself.
       * Without it the channel joins with whatever session the browser client can see.
       */
      tokenUrl?: string;
    };

export interface SubscribeOptions {
  orgId: string;
  transport: RealtimeTransport;
  onNotice(notice: RealtimeNotice): void;
  onState(state: ConnectionState): void;
}

/** Subscribe to an organization's live updates; returns the unsubscribe function. */
export function subscribeRealtime(opts: SubscribeOptions): () => void {
  return opts.transport.kind === "supabase" ? subscribeSupabase(opts, opts.transport) : subscribeSse(opts);
}

/** Validate a notice from the wire; anything else is ignored. */
export function parseNotice(value: unknown): RealtimeNotice | null {
  if (!value || typeof value !== "object") return null;
  const { topic, callId } = value as Record<string, unknown>;
  if (topic !== "calls") return null;
  if (callId === null || callId === undefined) return { topic, callId: null };
  return typeof callId === "string" ? { topic, callId } : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isOnline(): boolean {
  return typeof navigator === "undefined" || navigator.onLine !== false;
}

/**
 * SSE adapter. EventSource reconnects on its own, but at a fixed interval and without telling
 * us; we close it on error and reopen with backoff (1 s, 2 s, 4 s … 30 s) so the page can say
 * what is happening and a server that is down is not hammered.
 */
function subscribeSse({ orgId, onNotice, onState }: SubscribeOptions): () => void {
  const url = `/api/realtime?orgId=${encodeURIComponent(orgId)}`;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;

  function open() {
    timer = null;
    if (stopped) return;
    const es = new EventSource(url);
    source = es;
    es.addEventListener("ready", () => {
      if (source !== es) return;
      failures = 0;
      onState("live");
    });
    es.addEventListener("change", (event) => {
      if (source !== es) return;
      const notice = parseNotice(parseJson((event as MessageEvent<string>).data));
      if (notice) onNotice(notice);
    });
    // The server ends streams periodically so the session is re-checked; reopen at once and
    // keep showing "Live" (the next `ready` resyncs whatever the short gap missed).
    es.addEventListener("reauth", () => {
      if (source !== es) return;
      es.close();
      open();
    });
    es.onerror = () => {
      if (source !== es) return;
      fail();
    };
  }

  function fail() {
    source?.close();
    source = null;
    if (stopped) return;
    failures += 1;
    onState(stateAfterFailure(failures, isOnline()));
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(open, backoffDelay(failures));
  }

  // The browser knows about network changes before a half-open connection times out.
  function onOffline() {
    if (source) fail();
    else onState("offline");
  }
  function onOnline() {
    if (timer === null || stopped) return;
    clearTimeout(timer);
    onState("reconnecting");
    open();
  }

  onState("connecting");
  window.addEventListener("offline", onOffline);
  window.addEventListener("online", onOnline);
  open();

  return () => {
    stopped = true;
    window.removeEventListener("offline", onOffline);
    window.removeEventListener("online", onOnline);
    if (timer !== null) clearTimeout(timer);
    source?.close();
    source = null;
  };
}

async function fetchAccessToken(tokenUrl: string): Promise<string | null> {
  const res = await fetch(tokenUrl, { credentials: "same-origin", cache: "no-store" });
  if (!res.ok) return null;
  // Checked by hand, not with the zod schema: this runs in the browser, where zod is weight.
  const body = (await res.json().catch(() => null)) as Partial<RealtimeTokenResponse> | null;
  return typeof body?.accessToken === "string" ? body.accessToken : null;
}

/**
 * Supabase adapter: a private channel per organization, authorized by RLS on realtime.messages
 * (see the realtime_notify migration). realtime-js rejoins by itself after CHANNEL_ERROR and
 * TIMED_OUT; a CLOSED channel (the server ends it when the token expires) is ours to reopen.
 */
function subscribeSupabase(
  { orgId, onNotice, onState }: SubscribeOptions,
  { url, publishableKey, tokenUrl }: Extract<RealtimeTransport, { kind: "supabase" }>,
): () => void {
  let client: SupabaseClient | null = null;
  let channel: RealtimeChannel | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;

  function release() {
    const current = channel;
    channel = null;
    if (current && client) void client.removeChannel(current);
  }

  function retry() {
    release();
    if (stopped) return;
    failures += 1;
    onState(stateAfterFailure(failures, isOnline()));
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => void start(), backoffDelay(failures));
  }

  async function start() {
    timer = null;
    if (stopped) return;
    try {
      // Loaded on demand so the embedded default's bundle does not carry supabase-js.
      const { createBrowserClient } = await import("@supabase/ssr");
      client ??= tokenUrl
        ? createBrowserClient(url, publishableKey, { isSingleton: false, accessToken: () => fetchAccessToken(tokenUrl) })
        : createBrowserClient(url, publishableKey);
      await client.realtime.setAuth();
      // `channel()` hands back an existing channel with the same topic, and a channel joins
      // only once: a previous subscription's channel still being removed (a remount, an
      // organization switched back) would leave us waiting forever. Finish removing it first.
      const topic = `org:${orgId}`;
      for (const stale of client.getChannels().filter((c) => c.subTopic === topic)) await client.removeChannel(stale);
      if (stopped) return;
      const ch = client.channel(topic, { config: { private: true } });
      channel = ch;
      ch.on("broadcast", { event: "calls" }, (message: { payload?: unknown }) => {
        if (channel !== ch) return;
        const notice = parseNotice(message.payload);
        if (notice) onNotice(notice);
      }).subscribe((status) => {
        if (stopped || channel !== ch) return;
        switch (status) {
          case "SUBSCRIBED":
            failures = 0;
            onState("live");
            break;
          case "CHANNEL_ERROR":
          case "TIMED_OUT":
            failures += 1;
            onState(stateAfterFailure(failures, isOnline()));
            break;
          case "CLOSED":
            retry();
            break;
        }
      });
    } catch {
      retry();
    }
  }

  onState("connecting");
  void start();

  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    release();
    // A client made for this subscription (tokenUrl) is ours to close; the shared browser
    // singleton disconnects by itself once its last channel is removed.
    if (tokenUrl && client) void client.removeAllChannels();
  };
}
