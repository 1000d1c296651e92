import "server-only";
import { createHash } from "node:crypto";
import { RateLimiterRes, type RateLimiterPostgres } from "rate-limiter-flexible";
import { RateLimitedError } from "@/lib/errors";
import { sharedLimiter } from "@/lib/rate-limits/shared-store";

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
  private limiter: RateLimiterPostgres | undefined;
  constructor(
    readonly name: string,
    readonly spec: LimitSpec,
  ) {}

  // Made on first use: importing a module that declares limits opens no connection.
  private get store(): RateLimiterPostgres {
    this.limiter ??= sharedLimiter(this.name, this.spec.points, this.spec.durationSeconds);
    return this.limiter;
  }

  /** Count one request; past the points of the window it is a RateLimitedError with its Retry-After. */
  async consume(key: string, message: string): Promise<void> {
    try {
      await this.store.consume(storedKey(key), 1);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw refusal(message, res);
      throw res;
    }
  }

  /**
   * Forget a key's count (an operator unblocking someone; tests that drive thousands of
   * requests). Other processes still refuse it from memory until its window ends.
   */
  async reset(key: string): Promise<void> {
    await this.store.delete(storedKey(key));
  }
}

/** Fixed length for the store's varchar(255), and no client addresses in clear there. */
const storedKey = (key: string) => createHash("sha256").update(key).digest("base64url");

function refusal(message: string, res: RateLimiterRes): RateLimitedError {
  const wait = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new RateLimitedError(`${message} Try again in ${wait} second${wait === 1 ? "" : "s"}.`, wait);
}
