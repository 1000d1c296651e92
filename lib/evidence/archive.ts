import { z } from "zod";

/**
 * The bulk evidence archive's format (docs/adr/0020): one bundle per call, index.json listing
 * them and VERIFY.md. Pure: the job that builds archives and the offline verifier share it.
 */
export const ARCHIVE_FORMAT = "verbatim-evidence-archive/1";
export const ARCHIVE_INDEX = "index.json";
export const ARCHIVE_README = "VERIFY.md";

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
