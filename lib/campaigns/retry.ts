import "server-only";
import { z } from "zod";
import { nextCallableAt, type CampaignSchedule } from "@/lib/campaigns/windows";

/**
 * What a campaign does after a dial that did not reach anyone: per outcome (busy, no answer,
 * failed), how many dials a target gets at most and how long to wait before the next. The wait
 * is `backoffSeconds × multiplier^(attempt − 1)`, and the retry then waits further for the
 * target's next callable instant: a busy signal at 16:58 is retried tomorrow morning, not at
 * 17:08 when the window has closed.
 */
export const RETRIED_OUTCOMES = ["busy", "no_answer", "failed"] as const;
export type RetriedOutcome = (typeof RETRIED_OUTCOMES)[number];
/** How a dial ended, for the campaign: answered ends the target's run; the others may retry. */
export type DialOutcome = "answered" | RetriedOutcome;

const WEEK_SECONDS = 7 * 86_400;

export const retryRuleSchema = z.object({
  /** Dials a target gets in all, counting the first, when the last one ended this way. 1: never retried. */
  maxAttempts: z.int().min(1).max(10),
  backoffSeconds: z.int().min(0).max(WEEK_SECONDS),
  /** Each further retry waits this many times longer (default 1: the same wait every time). */
  multiplier: z.number().min(1).max(10).optional(),
});
export type RetryRule = z.infer<typeof retryRuleSchema>;

/**
 * Defaults: a busy line is usually free again soon; an unanswered one is tried at another hour;
 * a failure (a bad route, the carrier refusing) is worth one more try, later.
 */
export const DEFAULT_RETRY_POLICY = {
  busy: { maxAttempts: 3, backoffSeconds: 600 },
  no_answer: { maxAttempts: 3, backoffSeconds: 3600, multiplier: 2 },
  failed: { maxAttempts: 2, backoffSeconds: 1800 },
} as const satisfies Record<RetriedOutcome, RetryRule>;

/** A campaign's retry policy; an outcome left out keeps its default. */
export const retryPolicySchema = z.object({
  busy: retryRuleSchema.default(DEFAULT_RETRY_POLICY.busy),
  no_answer: retryRuleSchema.default(DEFAULT_RETRY_POLICY.no_answer),
  failed: retryRuleSchema.default(DEFAULT_RETRY_POLICY.failed),
});
export type RetryPolicy = z.output<typeof retryPolicySchema>;

export type RetryDecision =
  | { kind: "retry"; attempt: number; at: Date }
  | { kind: "done"; reason: "answered" | "attempts_used" | "schedule_ended" };

/** Never wait longer than this however the multiplier compounds (and never overflow a Date). */
const MAX_WAIT_MS = 30 * 86_400_000;

/**
 * After dial `attempt` (1-based) of a target ended with `outcome` at `finishedAt`: the next
 * dial's number and earliest instant, or done. Attempts are counted over the target's whole run,
 * against the limit of the latest outcome: busy (limit 3), then no answer (limit 3), then busy
 * again is the third dial, and the last.
 */
export function nextAttempt(
  policy: RetryPolicy,
  outcome: DialOutcome,
  attempt: number,
  finishedAt: Date,
  target: { schedule: CampaignSchedule; timeZone: string },
): RetryDecision {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, not ${attempt}`);
  if (outcome === "answered") return { kind: "done", reason: "answered" };
  const rule = policy[outcome];
  if (attempt >= rule.maxAttempts) return { kind: "done", reason: "attempts_used" };
  const waitMs = Math.min(rule.backoffSeconds * 1000 * (rule.multiplier ?? 1) ** (attempt - 1), MAX_WAIT_MS);
  const at = nextCallableAt(target.schedule, target.timeZone, new Date(finishedAt.getTime() + waitMs));
  return at ? { kind: "retry", attempt: attempt + 1, at } : { kind: "done", reason: "schedule_ended" };
}
