import "server-only";
import type { JobHelpers } from "graphile-worker";
import { logger, type Logger } from "@/lib/log";

/** What a task needs to know about the job running it; built from graphile-worker's helpers. */
export interface JobContext {
  /** This attempt, 1-based (graphile-worker increments `attempts` when it takes the job). */
  attempts: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down. */
  abortSignal?: AbortSignal;
  log: Logger;
}

export function jobContext(helpers: JobHelpers): JobContext {
  const { job } = helpers;
  return {
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    abortSignal: helpers.abortSignal,
    log: logger().child({ task: job.task_identifier, jobId: job.id, attempt: job.attempts }),
  };
}

/** True when this attempt is the job's last: a failure now is final. */
export function isLastAttempt(job: Pick<JobContext, "attempts" | "maxAttempts">): boolean {
  return job.attempts >= job.maxAttempts;
}
