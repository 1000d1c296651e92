import "server-only";
import { Limit } from "@/lib/rate-limits";

/**
 * Limits on the carrier's webhooks, sized so a real carrier is never refused: SignalWire tries
 * each callback up to 3 times, and a call with a survey sends a few dozen (status, recording,
 * LaML fetches, gather actions), so ~150 requests is a busy call; `npm run bench:webhooks`
 * sends ~2,000 signed callbacks from one address at ~300/s. What is cut off: a flood of forged
 * requests (failed verifications) from an address, and replays of one call's callbacks. Counted
 * in Postgres for every app process together (lib/rate-limits).
 */
export const WEBHOOK_LIMITS = {
  /** Every request from one address, verified or not: ~330/s sustained over a minute. */
  perSource: new Limit("webhook_source", { points: 20_000, durationSeconds: 60 }),
  /** Requests that fail verification from one address: past 20 in 10 minutes they are 429 until those 10 minutes end. */
  failedPerSource: new Limit("webhook_failed", { points: 20, durationSeconds: 600 }),
  /** Verified requests about one subject (a call, a transcript): twice a busy call's worst case, per hour. */
  perSubject: new Limit("webhook_subject", { points: 300, durationSeconds: 3600 }),
};
