import "server-only";
import { createHash } from "node:crypto";
import { RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError } from "@/lib/errors";
import { metrics } from "@/lib/metrics";
import { sharedLimiter, type BatchedPostgresLimiter } from "@/lib/rate-limits/shared-store";

/**
 * Limits on the hot paths (webhooks, the member API), shared by every app process: counted in
 * Postgres through rate-limiter-flexible (lib/rate-limits/shared-store.ts), so N instances
 * behind a load balancer give a client the budget once, not N times. What that costs a request
 * is one small statement, sent together with every other limit the process checks in the same
 * turn of the event loop, on the limits' own connections; a key already over its limit is
 * refused from memory with no statement at all (docs/adr/0031).
 */
export interface LimitSpec {
  points: number;
  durationSeconds: number;
}

export class Limit {
  private limiter: BatchedPostgresLimiter | undefined;
  constructor(
    readonly name: string,
    readonly spec: LimitSpec,
  ) {}

  // Made on first use: importing a module that declares limits opens no connection.
  private get store(): BatchedPostgresLimiter {
    this.limiter ??= sharedLimiter(this.name, this.spec.points, this.spec.durationSeconds);
    return this.limiter;
  }

  /** Count one request; past the points of the window it is a RateLimitedError with its Retry-After. */
  async consume(key: string, message: string): Promise<void> {
    try {
      await this.store.consume(storedKey(key), 1);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw refusal(this.name, message, res);
      throw res;
    }
  }

  /**
   * Refuse, from this process's memory alone, a key it has already seen use up its points: no
   * statement, nothing counted. For the front of a hot path (a flood is refused before its body
   * is read); the request is counted later with `consume`.
   */
  assertNotSpent(key: string, message: string): void {
    const ms = this.store.getInMemoryBlockMsBeforeExpire(`${this.name}:${storedKey(key)}`);
    if (ms > 0) throw refusal(this.name, message, new RateLimiterRes(0, ms));
  }

  /**
   * Forget a key's count (an operator unblocking someone; tests that drive thousands of
   * requests). Other processes still refuse it from memory until its window ends.
   */
  async reset(key: string): Promise<void> {
    await this.store.delete(storedKey(key));
  }
}

/**
 * Count one request against several limits at once: their points go to Postgres in one statement
 * (they are taken in the same turn of the event loop). The first refusal in the order given is
 * thrown; every limit counts the request either way.
 */
export type LimitCheck = [limit: Limit, key: string, message: string];

export async function consumeAll(checks: LimitCheck[]): Promise<void> {
  const outcomes = await Promise.allSettled(checks.map(([limit, key, message]) => limit.consume(key, message)));
  const refused = outcomes.find((o) => o.status === "rejected");
  if (refused) throw (refused as PromiseRejectedResult).reason;
}

/** Fixed length for the store's varchar(255), and no client addresses in clear there. */
const storedKey = (key: string) => createHash("sha256").update(key).digest("base64url");

function refusal(limit: string, message: string, res: RateLimiterRes): RateLimitedError {
  metrics().rateLimitRefusals.inc({ limit });
  const wait = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new RateLimitedError(`${message} Try again in ${wait} second${wait === 1 ? "" : "s"}.`, wait);
}
