import "server-only";
import { RateLimiterRes } from "rate-limiter-flexible";
import { limiterKey, postgresRule, whenAgain } from "@/lib/auth/limiter-store";
import { RateLimitedError } from "@/lib/errors";
import { metrics } from "@/lib/metrics";

/**
 * Limits on asking for an address proof (docs/adr/0027), in the sign-in limits' Postgres store.
 * Each request sends a message to the address, so every request counts, not only failures:
 *
 * - per email + client address: 5 an hour;
 * - per email, from any address: 10 an hour (nobody's mailbox is flooded through us);
 * - per client address: 50 a day (nobody sprays the world's addresses through us).
 *
 * The limits never depend on whether an account uses the address, so a refusal reveals nothing.
 * They cannot lock the owner out either: a message that someone else made us send went to the
 * owner's mailbox, and its link works for an hour.
 */
export const MAX_PROOFS_PER_EMAIL_AND_ADDRESS_PER_HOUR = 5;
export const MAX_PROOFS_PER_EMAIL_PER_HOUR = 10;
export const MAX_PROOFS_PER_ADDRESS_PER_DAY = 50;

const perPair = postgresRule("proof_email_ip", MAX_PROOFS_PER_EMAIL_AND_ADDRESS_PER_HOUR, 60 * 60, 60 * 60);
const perEmail = postgresRule("proof_email", MAX_PROOFS_PER_EMAIL_PER_HOUR, 60 * 60, 60 * 60);
const perAddress = postgresRule("proof_ip", MAX_PROOFS_PER_ADDRESS_PER_DAY, 24 * 60 * 60, 24 * 60 * 60);

/** Count this request against every rule; over any of them is 429 with when to try again. */
export async function consumeAddressProofRequest(ip: string, email: string): Promise<void> {
  const emailKey = limiterKey(email.trim().toLowerCase());
  const ipKey = limiterKey(ip);
  const outcomes = await Promise.allSettled([
    perPair().limiter.consume(`${emailKey}:${ipKey}`),
    perEmail().limiter.consume(emailKey),
    perAddress().limiter.consume(ipKey),
  ]);
  const refusals: RateLimiterRes[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === "fulfilled") continue;
    if (outcome.reason instanceof RateLimiterRes) refusals.push(outcome.reason);
    else throw outcome.reason;
  }
  if (refusals.length === 0) return;
  const wait = Math.max(1, ...refusals.map((res) => Math.ceil(res.msBeforeNext / 1000)));
  metrics().rateLimitRefusals.inc({ limit: "address_proof" });
  throw new RateLimitedError(`Too many requests for a link to set a password. Try again ${whenAgain(wait)}.`, wait);
}
