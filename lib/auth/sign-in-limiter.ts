import "server-only";
import type { RateLimiterRes } from "rate-limiter-flexible";
import { asService } from "@/lib/db";
import { limiterKey, postgresRule, whenAgain, type Rule } from "@/lib/auth/limiter-store";
import { RateLimitedError } from "@/lib/errors";
import { metrics } from "@/lib/metrics";

/**
 * Sign-in protection after rate-limiter-flexible's login-endpoint pattern, counters in
 * Postgres (so limits hold across processes and restarts) through the one service path:
 *
 * - consecutive failures per email + address: the 11th attempt after 10 failures in a row is
 *   refused for 15 minutes; a successful sign-in resets the count;
 * - slow brute force per address: 100 failures in a day block the address for a day;
 * - failures per email across addresses: 50 in an hour block the email for an hour, except
 *   from an address where that email signed in successfully in the last 30 days, so a third
 *   party cannot use the limit to lock the owner out.
 *
 * Every check happens before the password is looked at. The client address is the one the
 * server computed from the socket (lib/http/client-ip.ts), never a header a client chose.
 */
export const MAX_CONSECUTIVE_FAILURES = 10;
export const CONSECUTIVE_BLOCK_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_IP_PER_DAY = 100;
export const MAX_FAILURES_PER_EMAIL_PER_HOUR = 50;
const GOOD_HISTORY_DAYS = 30;

const consecutive = postgresRule("signin_email_ip", MAX_CONSECUTIVE_FAILURES, 24 * 60 * 60, CONSECUTIVE_BLOCK_SECONDS);
const slowBrute = postgresRule("signin_ip_day", MAX_FAILURES_PER_IP_PER_DAY, 24 * 60 * 60, 24 * 60 * 60);
const perEmail = postgresRule("signin_email", MAX_FAILURES_PER_EMAIL_PER_HOUR, 60 * 60, 60 * 60);

const normalize = (email: string) => email.trim().toLowerCase();

function keys(ip: string, email: string) {
  const emailHash = limiterKey(normalize(email));
  const ipHash = limiterKey(ip);
  return { emailHash, ipHash, emailIp: `${emailHash}:${ipHash}`, ip: ipHash, email: emailHash };
}

/** An address with good history for this email: it signed in there recently. */
async function hasGoodHistory(emailHash: string, ipHash: string): Promise<boolean> {
  const [row] = await asService(
    (tx) => tx`select 1 from private.sign_in_history
               where email_hash = ${emailHash} and ip_hash = ${ipHash}
                 and last_success_at > now() - make_interval(days => ${GOOD_HISTORY_DAYS})`,
  );
  return Boolean(row);
}

// A key is blocked once it has used up its points: `block` below pushes it over.
const blocked = (res: RateLimiterRes | null, r: Rule) => (res && res.consumedPoints > r.points ? res : null);

/** Refuse (429) while any rule that applies to this email and address is blocked. */
export async function assertSignInAllowed(ip: string, email: string): Promise<void> {
  const k = keys(ip, email);
  const [pair, address, account, trusted] = await Promise.all([
    consecutive().limiter.get(k.emailIp),
    slowBrute().limiter.get(k.ip),
    perEmail().limiter.get(k.email),
    hasGoodHistory(k.emailHash, k.ipHash),
  ]);
  const refusals = [
    blocked(pair, consecutive()),
    blocked(address, slowBrute()),
    trusted ? null : blocked(account, perEmail()),
  ].filter((res): res is RateLimiterRes => res !== null);
  if (refusals.length === 0) return;
  const wait = Math.max(1, ...refusals.map((res) => Math.ceil(res.msBeforeNext / 1000)));
  metrics().rateLimitRefusals.inc({ limit: "sign_in" });
  throw new RateLimitedError(`Too many failed sign-ins. Try again ${whenAgain(wait)}.`, wait);
}

/** Count a failure against every rule; a rule whose points are used up blocks its key. */
export async function recordSignInFailure(ip: string, email: string): Promise<void> {
  const k = keys(ip, email);
  await Promise.all(
    ([[consecutive(), k.emailIp], [slowBrute(), k.ip], [perEmail(), k.email]] as const).map(async ([r, key]) => {
      const res = await r.limiter.penalty(key, 1);
      if (res.consumedPoints >= r.points) await r.limiter.block(key, r.blockSeconds);
    }),
  );
}

/**
 * A successful sign-in resets the consecutive failures for this email and address, and gives
 * the address good history for the email. The per-address and per-email counts stay: they are
 * against spraying, which a success elsewhere does not disprove.
 */
export async function recordSignInSuccess(ip: string, email: string): Promise<void> {
  const k = keys(ip, email);
  await Promise.all([
    consecutive().limiter.delete(k.emailIp),
    asService(
      (tx) => tx`insert into private.sign_in_history (email_hash, ip_hash) values (${k.emailHash}, ${k.ipHash})
                 on conflict (email_hash, ip_hash) do update set last_success_at = now()`,
    ),
  ]);
}
