import "server-only";
import { createHash } from "node:crypto";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import { asService } from "@/lib/db";

/**
 * rate-limiter-flexible's Postgres store (`private.auth_rate_limits`) for the limits on sign-in
 * and on asking for address proofs: counts shared by every process and kept across restarts.
 */

// rate-limiter-flexible speaks node-postgres' `query({ text, values })`; this runs each of its
// statements through the service path instead of a connection of its own.
const storeClient = {
  query: async ({ text, values }: { text: string; values?: unknown[] }) => {
    const result = await asService((tx) => tx.unsafe(text, (values ?? []) as never[]));
    return { rows: [...result], rowCount: result.count };
  },
};

export interface Rule {
  limiter: RateLimiterPostgres;
  points: number;
  blockSeconds: number;
}

/** A rule made on first use (no database work at import), then kept. */
export function postgresRule(keyPrefix: string, points: number, durationSeconds: number, blockSeconds: number): () => Rule {
  let cached: Rule | undefined;
  return () => {
    cached ??= {
      limiter: new RateLimiterPostgres({
        storeClient,
        storeType: "pool",
        schemaName: "private",
        tableName: "auth_rate_limits",
        tableCreated: true,
        clearExpiredByTimeout: true,
        keyPrefix,
        points,
        duration: durationSeconds,
      }),
      points,
      blockSeconds,
    };
    return cached;
  };
}

/** Keys are hashes: fixed length for the store's varchar(255), and no emails or addresses in clear there. */
export const limiterKey = (value: string) => createHash("sha256").update(value).digest("base64url");

/** "in 14 minutes", "in 45 seconds", "in 23 hours": when the caller may try again. */
export function whenAgain(seconds: number): string {
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  if (seconds < 90 * 60) return `in ${Math.ceil(seconds / 60)} minutes`;
  return `in ${Math.ceil(seconds / 3600)} hours`;
}
