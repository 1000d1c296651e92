import { z } from "zod";

/**
 * The organization's activity feed (GET /api/activity): its newest events across calls and
 * evidence and its own settings and members, newest first. Client-safe: zod only.
 */
export const ACTIVITY_SOURCES = ["call", "evidence", "custody", "organization"] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

export const activityEventSchema = z.object({
  /** Unique across sources: `<source>:<id>`. */
  id: z.string(),
  /**
   * `call`: the call's timeline; `evidence`: a sealed manifest; `custody`: evidence viewed,
   * exported or verified; `organization`: the voice configuration, members and invitations
   * changed (only for roles that may manage members; no call, no number).
   */
  source: z.enum(ACTIVITY_SOURCES),
  /** What the page labels the event with: Call, Evidence, Custody, Settings (the voice configuration), Members or Targets (do-not-call marks, imports). */
  label: z.enum(["Call", "Evidence", "Custody", "Settings", "Members", "Targets"]),
  /** The timeline's kind (`provider.status`, …), `manifest.sealed`, the custody action, or the organization event's kind (`voice_config.updated`, `member.role_changed`, …). */
  kind: z.string(),
  occurredAt: z.string(),
  /** One line, from the timeline's catalogue; never transcript text, never a result the caller may not read. */
  summary: z.string(),
  callId: z.string().nullable(),
  /** The number the call was placed to, masked for roles without `numbers.view` as the call list does. */
  number: z.string().nullable(),
});
export type ActivityEvent = z.infer<typeof activityEventSchema>;

export const activityQuerySchema = z.object({
  before: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type ActivityQuery = z.infer<typeof activityQuerySchema>;

export const activityResponseSchema = z.object({
  events: z.array(activityEventSchema),
  /** Pass as `?before=` for older events; null at the end. */
  nextBefore: z.string().nullable(),
});
export type ActivityResponse = z.infer<typeof activityResponseSchema>;
