/**
 * When a failed delivery is tried again (docs/adr/0039), as data: the wait after each failed
 * attempt, in seconds. Eight attempts over about 27 hours ("about a day"); the last failure
 * ends the delivery and disables its endpoint with the reason. Each wait is spread by ±20%
 * (jitter) so the deliveries a receiver's outage held back do not all return in the same second.
 */
export const RETRY_DELAYS_SECONDS: readonly number[] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];

/** Attempts a delivery gets before it fails: the first, plus one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

export const JITTER = 0.2;

/**
 * Seconds to wait after failed attempt `attempt` (1-based), or null when that was the last.
 * `random` is in [0, 1).
 */
export function retryDelaySeconds(attempt: number, random: number = Math.random()): number | null {
  const base = RETRY_DELAYS_SECONDS[attempt - 1];
  if (base === undefined) return null;
  return Math.max(1, Math.round(base * (1 - JITTER + 2 * JITTER * random)));
}

/** The whole schedule without jitter, in seconds: how long a receiver may be down and still get everything. */
export const RETRY_SPAN_SECONDS = RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0);
