import type { JSONWebKeySet } from "jose";
import { z } from "zod";
import { sha256HexOf } from "./manifest";
import { signCanonical, SignedJsonError, verifyCanonical, type SignedJsonKind } from "./signed-json";

/**
 * The export statement (docs/adr/0025): what the issuer says, when a bundle is exported, about
 * that bundle. Signed like a manifest (compact JWS, EdDSA, `typ: "verbatim-export+jws"`, the
 * payload RFC 8785 canonical JSON) and appended to the organization's log as a leaf, so that the
 * bundle's inventory and its custody record are anchored: a file added, dropped or edited, and
 * a custody event removed, reordered or rewritten, no longer match what was signed and logged.
 *
 * `files` lists every file of the bundle with its size and hashes, except the five that cannot
 * be listed because they are made after the statement or from it (`UNLISTED_FILES`: the
 * statement itself, its JWS, and the proof, head and timestamp that show it was logged).
 * `exportId` is the request id that made the export: the bundle's custody record ends with the
 * `evidence.exported` event carrying it. Pure: the exporter and the offline verifier share it.
 */
export const EXPORT_TYP = "verbatim-export+jws";
export const EXPORT_FORMAT = "verbatim-export/1";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const exportFileSchema = z.strictObject({
  name: z.string().min(1).max(500),
  bytes: z.number().int().min(0),
  sha256: sha256Hex,
  sha512: z.string().regex(/^[0-9a-f]{128}$/),
});
export type ExportFile = z.infer<typeof exportFileSchema>;

export const exportStatementSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  issuer: z.string().min(1),
  kid: z.string().min(1),
  organizationId: z.string().min(1),
  callId: z.string().min(1),
  exportId: z.string().min(1).max(200),
  exportedAt: z.iso.datetime({ precision: 3 }),
  /** The latest manifest version the bundle carries. */
  manifest: z.strictObject({ version: z.number().int().min(1), sha256: sha256Hex }),
  /** Every listed file, by name in code-point order, each name once. */
  files: z.array(exportFileSchema).refine((files) => files.every((f, i) => i === 0 || files[i - 1]!.name < f.name), "files must be sorted by name, each once"),
});
export type ExportStatement = z.infer<typeof exportStatementSchema>;

/** Why an export statement was refused (`reason` as for every signed kind). */
export class ExportStatementError extends SignedJsonError {}

const KIND: SignedJsonKind<ExportStatement> = { typ: EXPORT_TYP, noun: "export statement", schema: exportStatementSchema, error: ExportStatementError };

/** Files in the code-point order the statement requires. */
export function sortedFiles(files: ExportFile[]): ExportFile[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function signExportStatement(statement: ExportStatement, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  return signCanonical(exportStatementSchema.parse(statement), EXPORT_TYP, key);
}

/** Verifies an export statement JWS against a JWKS; the statement, its payload text and that text's SHA-256. */
export async function verifyExportStatement(jws: string, keys: JSONWebKeySet): Promise<{ statement: ExportStatement; payload: string; sha256: string }> {
  const { value, text, payload } = await verifyCanonical(jws, keys, KIND);
  return { statement: value, payload: text, sha256: sha256HexOf(payload) };
}
