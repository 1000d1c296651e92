import { z } from "zod";
import { callFilterSchema } from "@/lib/calls/contracts";

/**
 * The bulk evidence export's contracts (issue 11, docs/adr/0020): the request, what the API
 * shows of an export, the download link, and the archive's index.json. Client-safe and pure:
 * the page, the API, the job and the offline verifier share them.
 */

/** At most this many calls in one archive; a larger selection is refused (422), never truncated. */
export const EXPORT_MAX_CALLS = 500;
export const ARCHIVE_FORMAT = "verbatim-evidence-archive/1";
export const ARCHIVE_INDEX = "index.json";
export const ARCHIVE_README = "VERIFY.md";

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

/** One call in an archive: its bundle file and what identifies the bundle. */
export const archiveEntrySchema = z.strictObject({
  callId: z.uuid(),
  file: z.string().regex(/^[0-9a-f-]{36}\.zip$/),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  manifestVersion: z.number().int().min(1),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ArchiveEntry = z.infer<typeof archiveEntrySchema>;

/** index.json: the export and every bundle in the archive, in archive order. */
export const archiveIndexSchema = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  exportId: z.uuid(),
  organizationId: z.uuid(),
  filter: z.record(z.string(), z.unknown()),
  requestedBy: z.uuid(),
  requestedAt: z.string(),
  builtAt: z.string(),
  issuer: z.string(),
  calls: z.array(archiveEntrySchema),
});
export type ArchiveIndex = z.infer<typeof archiveIndexSchema>;

export const archiveFileName = (callId: string) => `${callId}.zip`;

/** VERIFY.md of an archive. */
export function archiveInstructions(index: Pick<ArchiveIndex, "exportId" | "organizationId" | "issuer" | "calls">): string {
  return `# Verifying this evidence archive

This archive holds the evidence bundles of ${index.calls.length} call(s) that Verbatim
(${index.issuer}) sealed for organization ${index.organizationId}, exported as ${index.exportId}.
Each \`<call id>.zip\` is exactly the bundle \`GET /api/calls/<call id>/evidence\` would give, and
carries its own VERIFY.md. \`index.json\` lists every bundle with its SHA-256, size and the
manifest version and hash it carries.

## All at once, offline

From a checkout of Verbatim, with no database, pinning the issuer's published keys and TSA
certificate (fetch them once, over HTTPS):

\`\`\`
curl -fsS ${index.issuer}/api/evidence/jwks > issuer-jwks.json
curl -fsS ${index.issuer}/api/evidence/tsa > issuer-tsa.pem
npm run verify -- archive.zip --jwks issuer-jwks.json --tsa-cert issuer-tsa.pem
\`\`\`

It checks that the archive holds exactly the bundles index.json lists, that each bundle's bytes
have the listed SHA-256, and verifies every bundle (the signed export statement and the
bundle's exact inventory, signatures, artifact hashes, log inclusion, signed head, timestamp,
custody). One line per call; exit 0 only if all pass against the keys you pinned. Without
\`--jwks\` and \`--tsa-cert\` it can only say the bundles are SELF-CONSISTENT (exit 2).
index.json itself is not signed: what proves each call's evidence is its own bundle.

## One bundle

\`\`\`
unzip archive.zip <call id>.zip
npm run verify -- <call id>.zip --jwks issuer-jwks.json --tsa-cert issuer-tsa.pem
\`\`\`

or unzip that bundle and follow the steps in its VERIFY.md by hand.

## Bundles in this archive

\`\`\`
${index.calls.map((c) => `${c.sha256}  ${c.file}`).join("\n")}
\`\`\`
`;
}
