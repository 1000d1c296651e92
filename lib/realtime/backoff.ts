/**
 * Reconnect timing for live updates, as pure functions so the schedule is tested rather than
 * trusted. Safe for client bundles.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 30_000 };

/**
 * Consecutive failures before the indicator says "Offline" instead of "Reconnecting…". With the
 * default schedule that is roughly 15 s without a connection: long enough that a deploy or a
 * brief network blip does not alarm anyone, short enough that a real outage is admitted.
 */
export const OFFLINE_AFTER_FAILURES = 4;

/** Delay before reconnect attempt number `failures` (1-based): 1 s, 2 s, 4 s … capped. */
export function backoffDelay(failures: number, { baseMs, capMs }: BackoffOptions = RECONNECT_BACKOFF): number {
  if (!Number.isFinite(failures) || failures < 1) return baseMs;
  // Clamp the exponent so large counts cannot overflow to Infinity before the cap applies.
  const exponent = Math.min(failures - 1, 30);
  return Math.min(capMs, baseMs * 2 ** exponent);
}

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** What to show while waiting to reconnect. `online` is `navigator.onLine` (false = surely offline). */
export function stateAfterFailure(failures: number, online: boolean): ConnectionState {
  if (!online) return "offline";
  return failures >= OFFLINE_AFTER_FAILURES ? "offline" : "reconnecting";
}
