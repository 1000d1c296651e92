import { z } from "zod";
import { pgText } from "@/lib/pg-safe";
import { POLICY_KINDS, type PolicyKind } from "@/lib/retention/kinds";

export { MANIFEST_KINDS_OF, POLICY_KIND_LABELS, POLICY_KINDS, type PolicyKind } from "@/lib/retention/kinds";

/**
 * Retention, legal holds and erasure: the API's request and response bodies (docs/adr/0037),
 * each defined once. Client-safe: zod only.
 */

/** At most 100 years; null keeps for good (the default). */
export const keepDaysSchema = z.number().int().min(1).max(36_500).nullable();

/** A whole set of policies: every kind once (kinds left out keep their current policy). */
export const retentionPoliciesSchema = z
  .array(z.strictObject({ kind: z.enum(POLICY_KINDS), keepDays: keepDaysSchema }))
  .min(1)
  .max(POLICY_KINDS.length)
  .refine((list) => new Set(list.map((p) => p.kind)).size === list.length, { message: "Each kind at most once." });
export type RetentionPolicyInput = z.infer<typeof retentionPoliciesSchema>;

/** POST /api/retention/policies/preview */
export const retentionPreviewRequestSchema = z.strictObject({ policies: retentionPoliciesSchema });
/** PUT /api/retention/policies: exactly what was previewed, with its token. */
export const retentionApplyRequestSchema = z.strictObject({ policies: retentionPoliciesSchema, token: z.string().regex(/^\d{13}\.[0-9a-f]{64}$/, "a preview token") });

export interface RetentionPolicyView {
  kind: PolicyKind;
  keepDays: number | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface RetentionPreview {
  token: string;
  expiresAt: string;
  /** Per kind: artifacts and calls the policies would delete now (held calls excluded). */
  kinds: Array<{ kind: PolicyKind; keepDays: number | null; artifacts: number; calls: number }>;
  /** The calls that would lose content, oldest first (at most PREVIEW_MAX_CALLS). */
  calls: Array<{ id: string; createdAt: string; kinds: PolicyKind[] }>;
  totalCalls: number;
  /** Calls past a policy that a legal hold keeps. */
  heldCalls: number;
}
export const PREVIEW_MAX_CALLS = 100;
/** A preview is confirmed within this long, or made again. */
export const PREVIEW_TTL_MS = 10 * 60_000;

const reasonText = pgText.pipe(z.string().trim().min(1).max(1000));

/** POST /api/holds: one call, a saved search (the call list's query string), or a campaign. */
export const holdRequestSchema = z.discriminatedUnion("scope", [
  z.strictObject({ scope: z.literal("call"), callId: z.uuid(), reason: reasonText }),
  z.strictObject({ scope: z.literal("filter"), filter: pgText.pipe(z.string().trim().min(1).max(2000)), reason: reasonText }),
  z.strictObject({ scope: z.literal("campaign"), campaignId: z.uuid(), reason: reasonText }),
]);
export type HoldRequest = z.infer<typeof holdRequestSchema>;

/** POST /api/holds/:id/release */
export const holdReleaseRequestSchema = z.strictObject({ reason: reasonText });

/** A filter hold protects at most this many calls (narrow the search, or hold a campaign). */
export const HOLD_MAX_CALLS = 10_000;

export interface HoldView {
  id: string;
  scope: "call" | "filter" | "campaign";
  callId: string | null;
  campaignId: string | null;
  filter: string | null;
  reason: string;
  setBy: string;
  setAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
  /** How many calls it protects now. */
  calls: number;
}

/** GET /api/holds: each hold with who set and lifted it by email (the list says who, not only an id). */
export interface HoldListItem extends HoldView {
  setByEmail: string | null;
  releasedByEmail: string | null;
}

/** POST /api/retention/erasure */
export const erasureRequestSchema = z.strictObject({
  phoneNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number (+15551234567)"),
  reason: reasonText.optional(),
});

export interface ErasureResult {
  id: string;
  phoneNumber: string;
  /** Calls with the number whose content is being erased. */
  erasing: string[];
  /** Calls with the number a legal hold keeps; erased when released. */
  held: string[];
}

/** GET /api/retention/erasure: one past request. */
export interface ErasureRequestView {
  id: string;
  phoneNumber: string;
  reason: string | null;
  requestedBy: string;
  requestedByEmail: string | null;
  requestedAt: string;
  /** Every call with the number when it was asked; `heldCallIds` of them a hold kept. */
  callIds: string[];
  heldCallIds: string[];
}
