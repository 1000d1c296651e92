import "server-only";
import { RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import { asService } from "@/lib/db";
import { RateLimitedError } from "@/lib/errors";

/**
 * Failed sign-ins are limited to 10 per minute per IP address and per email address
 * (rate-limiter-flexible, Postgres store, so the limit holds across processes and restarts).
 * The 11th attempt within the minute is refused with 429 before the password is even checked.
 */
export const MAX_FAILURES_PER_MINUTE = 10;

// rate-limiter-flexible speaks node-postgres' `query({ text, values })`; this runs each of its
// statements through the service path instead of a connection of its own.
const storeClient = {
  query: async ({ text, values }: { text: string; values?: unknown[] }) => {
    const result = await asService((tx) => tx.unsafe(text, (values ?? []) as never[]));
    return { rows: [...result], rowCount: result.count };
  },
};

let limiter: RateLimiterAbstract | undefined;

function failures(): RateLimiterAbstract {
  limiter ??= new RateLimiterPostgres({
    storeClient,
    storeType: "pool",
    schemaName: "private",
    tableName: "auth_rate_limits",
    tableCreated: true,
    clearExpiredByTimeout: true,
    points: MAX_FAILURES_PER_MINUTE,
    duration: 60,
  });
  return limiter;
}

const keysFor = (ip: string, email: string) => [`ip:${ip}`, `email:${email.toLowerCase()}`];

/** Refuse when either key has used up its failures for this minute. */
export async function assertSignInAllowed(ip: string, email: string): Promise<void> {
  const states = await Promise.all(keysFor(ip, email).map((k) => failures().get(k)));
  const exhausted = states.filter((s) => s && s.consumedPoints >= MAX_FAILURES_PER_MINUTE);
  if (exhausted.length > 0) {
    const wait = Math.max(...exhausted.map((s) => Math.ceil((s?.msBeforeNext ?? 60_000) / 1000)), 1);
    throw new RateLimitedError(`Too many failed sign-ins. Try again in ${wait} seconds.`, wait);
  }
}

export async function recordSignInFailure(ip: string, email: string): Promise<void> {
  await Promise.all(keysFor(ip, email).map((k) => failures().penalty(k, 1)));
}

/** A successful sign-in clears the account's counter (the IP's stays, against spraying). */
export async function recordSignInSuccess(email: string): Promise<void> {
  await failures().delete(`email:${email.toLowerCase()}`);
}
