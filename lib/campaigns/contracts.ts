import "server-only";
import { z } from "zod";
import { versionRefSchema } from "@/lib/surveys/documents";
import { pgText } from "@/lib/pg-safe";
import { tagsSchema } from "@/lib/targets/contracts";
import { CAMPAIGN_ACTS, CAMPAIGN_STATES } from "@/lib/campaigns/states";
import { campaignScheduleSchema, effectiveWeeklyWindow, WEEKDAYS } from "@/lib/campaigns/windows";
import { paceSchema } from "@/lib/campaigns/pace";
import { retryPolicySchema } from "@/lib/campaigns/retry";

/**
 * The campaigns API's bodies (`/api/campaigns`, docs/adr/0035), each once as a zod schema.
 * Server-only for now: the schedule and retry schemas live beside their arithmetic, which needs
 * node:crypto (the spread's seed).
 */

/** Most targets one campaign dials (a launch materialises them in one statement). */
export const CAMPAIGN_MAX_TARGETS = 5000;

/** What the campaign's calls run with: the call API's toggles and versions (always the direct flow). */
export const campaignModulationsSchema = z.strictObject({
  record: z.boolean().optional(),
  transcribe: z.boolean().optional(),
  translate: z.boolean().optional(),
  survey: z.boolean().optional(),
  shopperScript: z.boolean().optional(),
  surveyVersion: versionRefSchema.optional(),
  shopperScriptVersion: versionRefSchema.optional(),
});

/** Targets carrying every one of these tags, or exactly these targets. */
export const selectionSchema = z.union([
  z.strictObject({ tags: tagsSchema.pipe(z.array(z.string()).min(1, "name at least one tag")) }),
  z.strictObject({ targetIds: z.array(z.uuid()).min(1, "name at least one target").max(CAMPAIGN_MAX_TARGETS).transform((ids) => [...new Set(ids)]) }),
]);
export type Selection = z.infer<typeof selectionSchema>;

const nameSchema = pgText.transform((s) => s.trim()).pipe(z.string().min(1, "give the campaign a name").max(200));

export const campaignCreateSchema = z.strictObject({
  name: nameSchema,
  modulations: campaignModulationsSchema.default({}),
  selection: selectionSchema,
  schedule: campaignScheduleSchema,
  pace: paceSchema,
  retry: retryPolicySchema.prefault({}),
  /** Shopper programs: each target's dial at a random instant of its window. */
  spread: z.boolean().default(false),
});
export type CampaignCreate = z.infer<typeof campaignCreateSchema>;

/** PATCH a draft: the fields to change. */
export const campaignUpdateSchema = z
  .strictObject({
    name: nameSchema.optional(),
    modulations: campaignModulationsSchema.optional(),
    selection: selectionSchema.optional(),
    schedule: campaignScheduleSchema.optional(),
    pace: paceSchema.optional(),
    retry: retryPolicySchema.optional(),
    spread: z.boolean().optional(),
  })
  .refine((u) => Object.keys(u).length > 0, "name at least one field to change");
export type CampaignUpdate = z.infer<typeof campaignUpdateSchema>;

/** The schedule as stored and shown: ISO instants and the effective window ("HH:MM", clipped to 8:00–21:00). */
export function storedSchedule(schedule: z.output<typeof campaignScheduleSchema>) {
  return { startsAt: schedule.startsAt.toISOString(), endsAt: schedule.endsAt.toISOString(), weekly: effectiveWeeklyWindow(schedule) };
}

const dayWindowViewSchema = z.object({ from: z.string(), to: z.string() }).nullable();

export const campaignViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  /** What the campaign's state allows next. */
  acts: z.array(z.enum(Object.keys(CAMPAIGN_ACTS) as [keyof typeof CAMPAIGN_ACTS, ...(keyof typeof CAMPAIGN_ACTS)[]])),
  modulations: z.object({ record: z.boolean(), transcribe: z.boolean(), translate: z.boolean(), survey: z.boolean(), shopperScript: z.boolean() }),
  /** The frozen versions the calls run. */
  survey: z.object({ id: z.string(), version: z.number() }).nullable(),
  shopperScript: z.object({ id: z.string(), version: z.number() }).nullable(),
  selection: z.union([z.object({ tags: z.array(z.string()) }), z.object({ targetIds: z.array(z.string()) })]),
  schedule: z.object({ startsAt: z.string(), endsAt: z.string(), weekly: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, dayWindowViewSchema]))) }),
  pace: paceSchema,
  retry: retryPolicySchema,
  spread: z.boolean(),
  createdBy: z.string(),
  launchedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  launchedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type CampaignView = z.infer<typeof campaignViewSchema>;

export const campaignListQuerySchema = z.object({
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const CAMPAIGN_TARGET_STATES = ["pending", "calling", "retrying", "done", "skipped_dnc", "skipped_window", "skipped_invalid"] as const;
export type CampaignTargetState = (typeof CAMPAIGN_TARGET_STATES)[number];
export const ATTEMPT_OUTCOMES = ["answered", "busy", "no_answer", "failed", "not_dialled"] as const;

export const campaignProgressSchema = z.object({
  state: z.enum(CAMPAIGN_STATES),
  targets: z.object({ total: z.number(), ...Object.fromEntries(CAMPAIGN_TARGET_STATES.map((s) => [s, z.number()])) }),
  /** Dials so far by how they ended (in progress: `open`). */
  outcomes: z.object({ dials: z.number(), open: z.number(), ...Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, z.number()])) }),
  /** Shopper scores of the campaign's calls (null: no script ran, or the role or plan may not read results). */
  scores: z.object({ scored: z.number(), average: z.number().nullable(), min: z.number().nullable(), max: z.number().nullable() }).nullable(),
  /** Dials per second: over the last minute, and from the first dial to the last. */
  pace: z.object({ lastMinute: z.number(), overall: z.number().nullable(), asked: z.number() }),
  /** When the remaining targets would be dialled at the overall pace, inside the calling windows; null: unknown or not before the end. */
  eta: z.string().nullable(),
  remaining: z.number(),
});
export type CampaignProgress = z.infer<typeof campaignProgressSchema>;
