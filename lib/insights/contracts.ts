import { z } from "zod";
import { ANSWER_VALUES, CRITERION_OUTCOMES } from "@/lib/calls/contracts";

/**
 * Insights over shopper scripts and surveys (docs/adr/0036): the API's query and response
 * bodies, once, as zod schemas. Every count carries `url`, the call list's address (`/?…`)
 * that lists exactly the calls it counts. Percentages are 0–100 with one decimal. Client-safe.
 */

export const BUCKETS = ["day", "week"] as const;
export type Bucket = (typeof BUCKETS)[number];

/** The most days one request may cover (a year and a day: a leap year's dates, both ends). */
export const MAX_RANGE_DAYS = 366;

/**
 * GET /api/insights/scripts/:id and /surveys/:id: calls created from `from` through `to`
 * (dates, UTC, both whole days, as the call list reads them); default the last 12 weeks
 * (`week`) or 30 days (`day`) up to today. Scores over time are bucketed by UTC day or ISO week
 * (Monday to Sunday).
 */
export const insightsQuerySchema = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  bucket: z.enum(BUCKETS).default("week"),
  /** Only the calls this campaign placed (another organization's or an unknown campaign is 404). */
  campaign: z.uuid().optional(),
});
export type InsightsQuery = z.infer<typeof insightsQuerySchema>;

const rangeSchema = z.object({ from: z.string(), to: z.string(), bucket: z.enum(BUCKETS) });
/** The campaign the insights are narrowed to, or null for every call that ran the script or survey. */
const campaignRefSchema = z.object({ id: z.string(), name: z.string() }).nullable();

export const FUNNEL_STAGES = ["dialled", "answered", "recorded", "transcribed", "scored"] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/**
 * One stage of the outcome funnel; each stage's calls are among the previous stage's:
 *   dialled      every call that ran the script in the range
 *   answered     its status is in_progress or completed
 *   recorded     and a recording of it is stored
 *   transcribed  and a transcript of it is stored (the one members read: redacted where the call redacted PII)
 *   scored       and its current score has a number (some criterion could be decided)
 */
export const funnelStageSchema = z.object({ stage: z.enum(FUNNEL_STAGES), calls: z.number().int(), url: z.string() });

/** The scored calls created in one bucket (its dates clipped to the range), and their mean score. */
export const scorePointSchema = z.object({
  /** The bucket's first and last date (UTC), clipped to the range. */
  from: z.string(),
  to: z.string(),
  scoredCalls: z.number().int(),
  /** Mean current score, percent; null when no call in the bucket was scored. */
  averageScore: z.number().nullable(),
  url: z.string(),
});
export type ScorePoint = z.infer<typeof scorePointSchema>;

/** How the current scores of the range's calls judged one rubric criterion. */
export const criterionStatsSchema = z.object({
  criterionId: z.string(),
  /** As the most recent scorecard labelled it. */
  label: z.string(),
  /** Whether the script's latest version still has it. */
  current: z.boolean(),
  counts: z.object({ pass: z.number().int(), fail: z.number().int(), no_evidence: z.number().int() }),
  /** pass ÷ (pass + fail), percent; null when none was decided. */
  passRate: z.number().nullable(),
  urls: z.record(z.enum(CRITERION_OUTCOMES), z.string()),
});
export type CriterionStats = z.infer<typeof criterionStatsSchema>;

/** The scored calls to one number, their mean score, and the same per bucket of the range. */
export const numberStatsSchema = z.object({
  number: z.string(),
  /** The saved target with this number, if there is one. */
  target: z.string().nullable(),
  scoredCalls: z.number().int(),
  averageScore: z.number().nullable(),
  url: z.string(),
  points: z.array(scorePointSchema),
});

/** The scored calls to the saved targets carrying one tag, their mean score, and the same per bucket. */
export const tagStatsSchema = z.object({
  tag: z.string(),
  scoredCalls: z.number().int(),
  averageScore: z.number().nullable(),
  url: z.string(),
  points: z.array(scorePointSchema),
});
export type TagStats = z.infer<typeof tagStatsSchema>;

export const scriptInsightsSchema = z.object({
  script: z.object({ id: z.string(), title: z.string(), latestVersion: z.number().int() }),
  campaign: campaignRefSchema,
  range: rangeSchema,
  /** Every call of the range that ran the script. */
  url: z.string(),
  funnel: z.array(funnelStageSchema),
  /** One point per bucket of the range, empty ones included, oldest first. */
  scoreOverTime: z.array(scorePointSchema),
  /** The latest version's criteria in its order, then criteria only older scores judged. */
  criteria: z.array(criterionStatsSchema),
  /** The 20 numbers with the most scored calls (most first); null for roles that see numbers masked. */
  numbers: z.array(numberStatsSchema).nullable(),
  /** The 10 target tags with the most scored calls (most first); a call counts under each tag of the target it dialled. */
  tags: z.array(tagStatsSchema),
});
export type ScriptInsights = z.infer<typeof scriptInsightsSchema>;

export const answerCountSchema = z.object({ value: z.enum(ANSWER_VALUES), count: z.number().int(), url: z.string() });
export type AnswerCount = z.infer<typeof answerCountSchema>;

/** One question's answers among the range's calls: keypad digits in its range (zeros included), `invalid`, `speech`. */
export const questionStatsSchema = z.object({
  questionId: z.string(),
  /** The latest version's prompt; null for a question only older versions asked. */
  prompt: z.string().nullable(),
  answered: z.number().int(),
  answers: z.array(answerCountSchema),
});
export type QuestionStats = z.infer<typeof questionStatsSchema>;

export const surveyInsightsSchema = z.object({
  survey: z.object({ id: z.string(), title: z.string(), latestVersion: z.number().int() }),
  campaign: campaignRefSchema,
  range: rangeSchema,
  /** Calls of the range that ran the survey, and how many of them stored at least one answer. */
  calls: z.number().int(),
  answeredCalls: z.number().int(),
  url: z.string(),
  questions: z.array(questionStatsSchema),
});
export type SurveyInsights = z.infer<typeof surveyInsightsSchema>;
