import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError } from "@/lib/errors";

/**
 * In-process limits for hot paths (webhooks, the member API): rate-limiter-flexible's memory
 * store, so a request costs no database round trip. Each process counts on its own; with N
 * instances a client gets up to N times the budget, which is fine for limits meant to cut off
 * floods rather than to meter.
 */
export interface LimitSpec {
  points: number;
  durationSeconds: number;
  /** Once the points are used up, refuse for this long (default: until the window ends). */
  blockSeconds?: number;
}

export class Limit {
  private limiter: RateLimiterMemory;
  constructor(
    readonly name: string,
    readonly spec: LimitSpec,
  ) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: name,
      points: spec.points,
      duration: spec.durationSeconds,
      blockDuration: spec.blockSeconds ?? 0,
    });
  }

  /** Count one request; over the limit is a RateLimitedError with its Retry-After. */
  async consume(key: string, message: string): Promise<void> {
    try {
      await this.limiter.consume(key, 1);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw refusal(message, res);
      throw res;
    }
  }

  /** Refuse without counting when the key has used up its points. */
  async assertOpen(key: string, message: string): Promise<void> {
    const res = await this.limiter.get(key);
    if (res && res.consumedPoints >= this.spec.points) throw refusal(message, res);
  }

  /** Forget a key's count (an operator unblocking someone; tests that drive thousands of requests). */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }

  /** Count without refusing (failures: the refusal comes at the next request). */
  async penalize(key: string): Promise<void> {
    const res = await this.limiter.penalty(key, 1);
    if (this.spec.blockSeconds && res.consumedPoints >= this.spec.points) await this.limiter.block(key, this.spec.blockSeconds);
  }
}

function refusal(message: string, res: RateLimiterRes): RateLimitedError {
  const wait = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new RateLimitedError(`${message} Try again in ${wait} second${wait === 1 ? "" : "s"}.`, wait);
}
