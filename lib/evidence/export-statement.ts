import { CompactSign, compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { z } from "zod";
import { canonicalJson } from "./canonical-json";
import { sha256HexOf } from "./manifest";

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

export type ExportStatementFailure = "malformed" | "wrong_type" | "unknown_key" | "bad_signature" | "invalid_payload" | "not_canonical" | "kid_mismatch";

export class ExportStatementError extends Error {
  constructor(
    readonly reason: ExportStatementFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ExportStatementError";
  }
}

/** Files in the code-point order the statement requires. */
export function sortedFiles(files: ExportFile[]): ExportFile[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function signExportStatement(statement: ExportStatement, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  const checked = exportStatementSchema.parse(statement);
  if (checked.kid !== key.kid) throw new Error(`The statement names key "${checked.kid}" but would be signed by "${key.kid}".`);
  return new CompactSign(new TextEncoder().encode(canonicalJson(checked))).setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: EXPORT_TYP }).sign(key.privateKey);
}

/**
 * Verifies an export statement JWS against a JWKS and returns the statement with the SHA-256
 * of its payload. Refuses what `verifyManifest` refuses, with a statement's `typ`.
 */
export async function verifyExportStatement(jws: string, keys: JSONWebKeySet): Promise<{ statement: ExportStatement; payload: string; sha256: string }> {
  const ed25519 = { keys: (Array.isArray(keys?.keys) ? keys.keys : []).filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.kid === "string") };
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(ed25519), { algorithms: ["EdDSA"] });
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) throw new ExportStatementError("unknown_key", "The export statement is signed by a key that is not in the JWKS.", { cause: error });
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new ExportStatementError("bad_signature", "The export statement's signature does not verify.", { cause: error });
    throw new ExportStatementError("malformed", `The export statement is not a valid compact JWS: ${(error as Error).message}`, { cause: error });
  }
  if (verified.protectedHeader.typ !== EXPORT_TYP) throw new ExportStatementError("wrong_type", `The JWS is a "${verified.protectedHeader.typ ?? "(untyped)"}", not an export statement.`);
  let payload: string;
  let statement: ExportStatement;
  try {
    payload = new TextDecoder("utf-8", { fatal: true }).decode(verified.payload);
    statement = exportStatementSchema.parse(JSON.parse(payload));
  } catch (error) {
    throw new ExportStatementError("invalid_payload", `The export statement's payload is not a valid statement: ${(error as Error).message}`, { cause: error });
  }
  if (canonicalJson(statement) !== payload) throw new ExportStatementError("not_canonical", "The export statement's payload is not RFC 8785 canonical JSON.");
  if (statement.kid !== verified.protectedHeader.kid) throw new ExportStatementError("kid_mismatch", `The statement names key "${statement.kid}" but is signed by "${verified.protectedHeader.kid}".`);
  return { statement, payload, sha256: sha256HexOf(verified.payload) };
}
