import "server-only";
import type { Logger } from "@/lib/logger";

/** What a task needs to know about the job running it; the worker builds it from graphile-worker's helpers. */
export interface JobContext {
  /** This attempt, 1-based (graphile-worker increments `attempts` when it takes the job). */
  attempts: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down. */
  abortSignal?: AbortSignal;
  log: Logger;
}

/** True when this attempt is the job's last: a failure now is final. */
export function isLastAttempt(job: Pick<JobContext, "attempts" | "maxAttempts">): boolean {
  return job.attempts >= job.maxAttempts;
}
