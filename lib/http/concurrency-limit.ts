import "server-only";
import { RateLimitedError } from "@/lib/errors";
import { metrics } from "@/lib/metrics";

/**
 * At most `max()` runs of one kind of work at once in this process; one more is refused at
 * once with a RateLimitedError (429 and Retry-After), not queued, since a queued upload would
 * hold its connection while it waited. A counter rather than rate-limiter-flexible, whose
 * limiters count requests per time window: a window that ends frees its points while the work
 * still runs, and what is bounded here is work in progress. Each process counts on its own.
 */
export class ConcurrencyLimit {
  private running = 0;

  constructor(
    private readonly max: () => number,
    private readonly refusal: { message: string; retryAfterSeconds: number },
    /** The `limit` label of its refusals (verbatim_rate_limit_refusals_total). */
    private readonly name = "concurrency",
  ) {}

  /** Run `work` in a slot, released when it settles; throws without running it when none is free. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max()) {
      metrics().rateLimitRefusals.inc({ limit: this.name });
      throw new RateLimitedError(this.refusal.message, this.refusal.retryAfterSeconds);
    }
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}
