import "server-only";
import type { RealtimeNotice } from "@/lib/calls/contracts";
import { sql } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { metrics } from "@/lib/metrics";

/**
 * Live updates for the embedded default: ONE Postgres LISTEN per process on the channel the
 * `announce_change` trigger notifies (supabase/migrations/*_create_realtime_notify.sql), fanned
 * out to in-process subscribers by organization. postgres.js holds the LISTEN on a dedicated
 * connection and re-issues it after reconnecting; we only add the fan-out and per-subscriber
 * queues. Notices carry ids only, never content, and each subscriber sees only its own
 * organization's; the route authorizes the subscriber before it gets here.
 */
export const REALTIME_CHANNEL = "verbatim_realtime";

/**
 * A subscriber that stops reading (a stalled tab, a slow proxy) must not grow memory without
 * bound. Dropping the oldest is safe: every notice only says "refetch", so the newest ones
 * still trigger the refetch that would have covered the dropped ones.
 */
export const MAX_QUEUED_NOTICES = 100;

type Waiter = (outcome: "notice" | "closed") => void;

/** Who holds a stream open: a revoked session or removed membership closes it. */
export interface Holder {
  userId: string;
  sessionId: string | null;
}

/** One subscriber's bounded queue; the SSE stream pulls from it. */
export class Subscription {
  readonly orgId: string;
  readonly holder: Holder | null;
  private queue: RealtimeNotice[] = [];
  private waiter: Waiter | null = null;
  private closed = false;
  /** How many notices were dropped because the queue was full (for logs and tests). */
  dropped = 0;
  private readonly onClose: (sub: Subscription) => void;

  constructor(orgId: string, onClose: (sub: Subscription) => void, holder: Holder | null = null) {
    this.orgId = orgId;
    this.holder = holder;
    this.onClose = onClose;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(notice: RealtimeNotice): void {
    if (this.closed) return;
    this.queue.push(notice);
    if (this.queue.length > MAX_QUEUED_NOTICES) {
      this.queue.shift();
      this.dropped += 1;
    }
    this.wake("notice");
  }

  /** Take everything queued so far. */
  drain(): RealtimeNotice[] {
    const items = this.queue;
    this.queue = [];
    return items;
  }

  /**
   * Wait until something is queued, the subscription closes, or `timeoutMs` passes (the
   * caller sends a heartbeat then). Resolves at once when notices are already waiting.
   */
  wait(timeoutMs: number): Promise<"notice" | "closed" | "timeout"> {
    if (this.closed) return Promise.resolve("closed");
    if (this.queue.length > 0) return Promise.resolve("notice");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve("timeout");
      }, timeoutMs);
      this.waiter = (outcome) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(outcome);
      };
    });
  }

  /** Unsubscribe; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wake("closed");
    this.onClose(this);
  }

  private wake(outcome: "notice" | "closed"): void {
    this.waiter?.(outcome);
  }
}

interface HubState {
  byOrg: Map<string, Set<Subscription>>;
  /** Set once the LISTEN has been requested; postgres.js keeps it alive from then on. */
  listening: Promise<void> | null;
  /** How many times postgres.js (re-)established the LISTEN. */
  listens: number;
}

// On globalThis so that Next's dev reloads reuse one hub (and one LISTEN callback) per process,
// as lib/db/client does for the pool.
const globalForHub = globalThis as unknown as { verbatimRealtimeHub?: HubState };

function hub(): HubState {
  globalForHub.verbatimRealtimeHub ??= { byOrg: new Map(), listening: null, listens: 0 };
  return globalForHub.verbatimRealtimeHub;
}

export type Notification =
  | { kind: "notice"; org: string; notice: RealtimeNotice }
  | { kind: "revoke-session"; sessionId: string; userId: string }
  | { kind: "revoke-member"; org: string; userId: string };

/** Parse a NOTIFY payload; anything unexpected is ignored rather than forwarded. */
export function parseNotification(payload: string): Notification | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const { org, topic, callId, revoke, session, user } = value as Record<string, unknown>;
  if (revoke === "session" && typeof session === "string" && typeof user === "string") {
    return { kind: "revoke-session", sessionId: session, userId: user };
  }
  if (revoke === "member" && typeof org === "string" && typeof user === "string") return { kind: "revoke-member", org, userId: user };
  if (typeof org !== "string" || topic !== "calls") return null;
  if (callId !== null && callId !== undefined && typeof callId !== "string") return null;
  return { kind: "notice", org, notice: { topic, callId: callId ?? null } };
}

/** Close every stream held by a revoked session or a removed membership. Exported for tests. */
function revoke(what: Exclude<Notification, { kind: "notice" }>): number {
  const doomed: Subscription[] = [];
  const orgs = what.kind === "revoke-member" ? [hub().byOrg.get(what.org) ?? new Set<Subscription>()] : hub().byOrg.values();
  for (const subs of orgs) {
    for (const sub of subs) {
      const holder = sub.holder;
      if (!holder || holder.userId !== what.userId) continue;
      if (what.kind === "revoke-member" || holder.sessionId === what.sessionId) doomed.push(sub);
    }
  }
  for (const sub of doomed) sub.close();
  return doomed.length;
}

/** Deliver one notice to the subscribers of its organization. Exported for tests. */
function dispatch(org: string, notice: RealtimeNotice): void {
  const subs = hub().byOrg.get(org);
  if (!subs) return;
  for (const sub of subs) sub.push(notice);
}

function broadcastResync(): void {
  // Notifications sent while the LISTEN connection was down are lost: tell every subscriber to
  // refetch everything (a notice without a call id means exactly that).
  for (const subs of hub().byOrg.values()) {
    for (const sub of subs) sub.push({ topic: "calls", callId: null });
  }
}

function ensureListening(): void {
  const state = hub();
  if (state.listening) return;
  const log = logger().child({ component: "realtime-hub" });
  state.listening = sql()
    .listen(
      REALTIME_CHANNEL,
      (payload) => {
        const parsed = parseNotification(payload);
        if (!parsed) {
          log.warn({ payloadLength: payload.length }, "ignored malformed realtime notification");
          return;
        }
        if (parsed.kind === "notice") dispatch(parsed.org, parsed.notice);
        else revoke(parsed);
      },
      () => {
        state.listens += 1;
        if (state.listens > 1) {
          log.info({ listens: state.listens }, "realtime LISTEN re-established; asking subscribers to resync");
          broadcastResync();
        }
      },
    )
    .then(
      () => undefined,
      (err: unknown) => {
        // postgres.js re-issues the LISTEN itself when the dedicated connection comes back, so
        // this is not fatal; subscribers stay connected and get a resync notice then.
        log.error({ err }, "realtime LISTEN failed; postgres.js will retry");
      },
    );
}

/**
 * Subscribe to an organization's notices. The caller must already have authorized the user for
 * `operations.view` in `orgId`. Close the subscription when the client goes away. With a holder,
 * the hub closes it itself when that session is deleted or that membership removed.
 */
export function subscribe(orgId: string, holder: Holder | null = null): Subscription {
  const state = hub();
  // First, so that a missing database configuration fails before anything is registered.
  ensureListening();
  const sub = new Subscription(orgId, (closed) => {
    metrics().sseConnections.dec();
    const subs = state.byOrg.get(closed.orgId);
    if (!subs) return;
    subs.delete(closed);
    if (subs.size === 0) state.byOrg.delete(closed.orgId);
  }, holder);
  let subs = state.byOrg.get(orgId);
  if (!subs) {
    subs = new Set();
    state.byOrg.set(orgId, subs);
  }
  subs.add(sub);
  metrics().sseConnections.inc();
  return sub;
}

/** Subscriber counts per organization (metrics, tests). */
export function subscriberCounts(): Record<string, number> {
  return Object.fromEntries([...hub().byOrg].map(([org, subs]) => [org, subs.size]));
}
