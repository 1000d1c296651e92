import { z } from "zod";
import { callFilterSchema } from "@/lib/calls/contracts";

/**
 * The bulk evidence export's API contracts (docs/adr/0020): the request, what the API shows of an
 * export and the download link. Client-safe: zod and the call list's filter only. The archive's
 * own format (index.json, VERIFY.md) is lib/evidence/archive.ts, which the offline verifier reads.
 */

/** At most this many calls in one archive; a larger selection is refused (422), never truncated. */
export const EXPORT_MAX_CALLS = 500;

/** The call list's filters, as the page keeps them in its URL (strings); unknown keys refused. */
const filterInputSchema = callFilterSchema.strict();

/**
 * POST /api/evidence/exports: the calls, by the call list's filters or by id (exactly one of
 * the two). `dryRun` only counts the sealed calls the selection would archive.
 */
export const evidenceExportRequestSchema = z
  .strictObject({
    filter: filterInputSchema.optional(),
    callIds: z.array(z.uuid()).min(1).max(EXPORT_MAX_CALLS).optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((r) => (r.filter === undefined) !== (r.callIds === undefined), { message: "Send either filter or callIds, not both and not neither." });
export type EvidenceExportRequest = z.infer<typeof evidenceExportRequestSchema>;
export type EvidenceExportRequestInput = z.input<typeof evidenceExportRequestSchema>;

export const EXPORT_STATUSES = ["queued", "running", "completed", "failed", "canceled", "expired"] as const;
export type EvidenceExportStatus = (typeof EXPORT_STATUSES)[number];

export const evidenceExportViewSchema = z.object({
  id: z.uuid(),
  status: z.enum(EXPORT_STATUSES),
  requestedBy: z.uuid(),
  /** The filter as it was asked for (query-string form), or `{ callIds }`. */
  filter: z.record(z.string(), z.unknown()),
  done: z.number().int(),
  total: z.number().int(),
  currentCallId: z.uuid().nullable(),
  bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** When the archive is deleted (completed exports); a download after it is 410. */
  expiresAt: z.string().nullable(),
});
export type EvidenceExportView = z.infer<typeof evidenceExportViewSchema>;

export const evidenceExportPreviewSchema = z.object({ dryRun: z.literal(true), total: z.number().int() });
export type EvidenceExportPreview = z.infer<typeof evidenceExportPreviewSchema>;

export const evidenceExportListSchema = z.object({ exports: z.array(evidenceExportViewSchema) });
export type EvidenceExportList = z.infer<typeof evidenceExportListSchema>;

/** POST /api/evidence/exports/:id/link: a download URL good until `expiresAt`. */
export const evidenceExportLinkSchema = z.object({ url: z.string(), expiresAt: z.string(), archiveExpiresAt: z.string() });
export type EvidenceExportLink = z.infer<typeof evidenceExportLinkSchema>;

/** GET /api/evidence/exports/:id/download query: the link's expiry and signature, and its organization. */
export const evidenceExportDownloadQuerySchema = z.object({
  orgId: z.uuid().optional(),
  exp: z.string().regex(/^\d{1,12}$/, "exp must be unix seconds"),
  sig: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "sig must be base64url"),
});

