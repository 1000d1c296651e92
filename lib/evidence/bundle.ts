import { z } from "zod";
import { BundleZipError, SMALL_FILE_MAX_BYTES } from "./bundle-limits";
import type { ManifestArtifact } from "./manifest";

/**
 * The evidence bundle's layout (docs/adr/0017): one ZIP per call, every file named here, so the
 * exporter and the verifier agree on names without either reading the other's code. Pure.
 *
 *   manifest.json        the latest version's manifest, RFC 8785 canonical JSON (the JWS payload)
 *   manifest.jws         its compact JWS
 *   versions/v<N>.jws    every earlier version's JWS
 *   artifacts/…          each artifact's exact bytes (`artifactFileName`)
 *   proof.json           inclusion proofs of every version against tree-head.jws, and a
 *                        consistency proof from an earlier head (`bundleProofSchema`)
 *   tree-head.jws        the signed tree head the proofs lead to
 *   timestamp.tsr        the RFC 3161 TimeStampToken over tree-head.jws's ASCII bytes (DER)
 *   tsa.pem              the TSA certificate(s) the token must chain to
 *   jwks.json            the public keys (current and retired) by kid
 *   custody.json         the call's custody events, hash-chained
 *   VERIFY.md            how to check all of it by hand
 */
export const BUNDLE_FILES = {
  manifest: "manifest.json",
  manifestJws: "manifest.jws",
  proof: "proof.json",
  treeHead: "tree-head.jws",
  timestamp: "timestamp.tsr",
  tsa: "tsa.pem",
  jwks: "jwks.json",
  custody: "custody.json",
  readme: "VERIFY.md",
} as const;

export const PROOF_FORMAT = "verbatim-evidence-proof/1";

export function versionFileName(version: number): string {
  return `versions/v${version}.jws`;
}

const EXTENSIONS: Record<string, string> = {
  "application/json": ".json",
  "audio/wav": ".wav",
  "audio/x-wav": ".wav",
  "audio/wave": ".wav",
  "audio/mpeg": ".mp3",
  "audio/ogg": ".ogg",
  "audio/webm": ".webm",
};

/** Where an artifact's bytes sit in the bundle: `artifacts/<kind>-<id><ext>`. */
export function artifactFileName(artifact: Pick<ManifestArtifact, "kind" | "id" | "mediaType">): string {
  const safeId = artifact.id.replace(/[^A-Za-z0-9._-]/g, "_");
  return `artifacts/${artifact.kind}-${safeId}${EXTENSIONS[artifact.mediaType.split(";")[0]!.trim().toLowerCase()] ?? ".bin"}`;
}

const hex32 = z.string().regex(/^[0-9a-f]{64}$/);

export const bundleProofSchema = z.strictObject({
  format: z.literal(PROOF_FORMAT),
  log: z.string().min(1),
  /** The size of the tree tree-head.jws signs. */
  treeSize: z.number().int().min(1),
  /** The latest version's leaf. */
  leafIndex: z.number().int().min(0),
  inclusionProof: z.array(hex32),
  /** Every version's leaf and inclusion proof against the same head, oldest first (the latest included). */
  versions: z.array(z.strictObject({ version: z.number().int().min(1), manifestSha256: hex32, leafIndex: z.number().int().min(0), inclusionProof: z.array(hex32) })),
  /** An earlier signed head of the same log and the RFC 9162 consistency proof to tree-head.jws. */
  consistency: z.strictObject({ fromTreeHead: z.string().min(1), fromTreeSize: z.number().int().min(1), proof: z.array(hex32) }).nullable(),
});
export type BundleProof = z.infer<typeof bundleProofSchema>;

export const custodyFileSchema = z.strictObject({
  organizationId: z.string().min(1),
  callId: z.string().min(1),
  events: z.array(
    z.strictObject({
      organizationId: z.string(),
      sequence: z.number().int().min(1),
      actorUserId: z.string().nullable(),
      action: z.string(),
      callId: z.string().nullable(),
      manifestId: z.string().nullable(),
      sha256: z.string().nullable(),
      requestId: z.string().nullable(),
      occurredAt: z.string(),
      previousHash: z.string().nullable(),
      hash: z.string(),
    }),
  ),
});
export type CustodyFile = z.infer<typeof custodyFileSchema>;

/**
 * Read access to a bundle's files, whether they sit in memory or in a ZIP on disk. A refusal is
 * a `BundleZipError` (bundle-limits.ts) with its reason, thrown by `read` or `stream` or while
 * the stream is iterated: never a library's own error.
 */
export interface BundleReader {
  names(): string[];
  /**
   * The whole file, or undefined when it is not in the bundle. For small files (JSON, JWS, DER):
   * a file larger than `maxBytes` or the reader's own cap (`SMALL_FILE_MAX_BYTES` unless the
   * reader was opened with another), whichever is smaller, is refused (`too_large`) before it
   * is inflated.
   */
  read(name: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  /**
   * The file as a stream of chunks, for artifacts of any size; undefined when absent. With
   * `expectedBytes` (what the manifest declares), a file of any other size is refused
   * (`size_mismatch`) before it is inflated, and the stream never yields more than that many
   * bytes.
   */
  stream(name: string, expectedBytes?: number): Promise<AsyncIterable<Uint8Array> | undefined>;
}

/** Files in memory as a `BundleReader`, refusing what a ZIP reader refuses for size. */
export function memoryBundle(files: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array | string>): BundleReader {
  const map = new Map<string, Uint8Array>(
    files instanceof Map ? files : Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? new TextEncoder().encode(v) : v] as const),
  );
  return {
    names: () => [...map.keys()],
    read: async (name, maxBytes) => {
      const bytes = map.get(name);
      const cap = Math.min(maxBytes ?? SMALL_FILE_MAX_BYTES, SMALL_FILE_MAX_BYTES);
      if (bytes && bytes.length > cap) throw new BundleZipError("too_large", `${name} is ${bytes.length} bytes; at most ${cap} are read.`);
      return bytes;
    },
    stream: async (name, expectedBytes) => {
      const bytes = map.get(name);
      if (!bytes) return undefined;
      if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
        throw new BundleZipError("size_mismatch", `${name} is ${bytes.length} bytes; ${expectedBytes} were expected.`);
      }
      return (async function* () {
        for (let i = 0; i < bytes.length; i += 1 << 20) yield bytes.subarray(i, i + (1 << 20));
      })();
    },
  };
}

/** The plain-language instructions shipped as VERIFY.md. */
export function verifyInstructions(args: { callId: string; version: number; artifacts: ReadonlyArray<Pick<ManifestArtifact, "kind" | "id" | "mediaType" | "sha256">>; issuer: string }): string {
  const lines = args.artifacts.map((a) => `${a.sha256}  ${artifactFileName(a)}`);
  return `# Verifying this evidence bundle

This bundle holds what Verbatim (${args.issuer}) sealed about call ${args.callId}, manifest
version ${args.version}. Everything in it can be checked without Verbatim's software and without
a network connection. The quick way, from a checkout of Verbatim: \`npm run verify -- bundle.zip\`.
By hand, in five steps:

## 1. The artifacts are the bytes the manifest names

\`manifest.json\` lists every artifact with the SHA-256 and SHA-512 of its exact bytes and its
size. Compare them with the files under \`artifacts/\`:

\`\`\`
sha256sum -c <<'SUMS'
${lines.join("\n")}
SUMS
\`\`\`

(\`sha512sum\` checks the \`sha512\` fields the same way; \`wc -c\` the \`bytes\` field.)

## 2. The manifest is signed

\`manifest.jws\` is a compact JWS (RFC 7515), algorithm EdDSA (Ed25519), whose payload is
exactly the bytes of \`manifest.json\`. Verify it with any JOSE library against the key in
\`jwks.json\` whose \`kid\` is the one in the JWS header. Compare \`jwks.json\` with the keys the
issuer publishes at \`${args.issuer}/api/evidence/jwks\` (retired keys stay listed there). In
Node.js with \`jose\`:

\`\`\`js
import { compactVerify, createLocalJWKSet } from "jose";
const { payload } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] });
// payload must equal the bytes of manifest.json
\`\`\`

Earlier versions are in \`versions/\`; each version's \`previousSha256\` is the SHA-256 of the
previous version's payload (\`sha256sum\` of the decoded payload).

## 3. The manifest is in the organization's log

The log is a Merkle tree as RFC 9162 §2.1 defines it. The leaf for a manifest is
SHA-256(0x00 ‖ the ASCII bytes of its JWS). \`proof.json\` gives each version's leaf index and
inclusion proof; RFC 9162 §2.1.3.2 turns them into a root hash, which must equal \`rootHash\` in
the payload of \`tree-head.jws\` (a JWS signed like the manifest, \`typ\` verbatim-tree-head+jws).
\`proof.json\`'s \`consistency\` holds an earlier signed head and the RFC 9162 §2.1.4.2 proof that
the log only grew between the two heads.

## 4. The head existed no later than its timestamp

\`timestamp.tsr\` is an RFC 3161 token over the ASCII bytes of \`tree-head.jws\`:

\`\`\`
openssl ts -verify -data tree-head.jws -in timestamp.tsr -token_in -CAfile tsa.pem
\`\`\`

Check that \`tsa.pem\` is the time-stamping authority you trust (the embedded default uses a
local TSA with its own certificate, which proves only what its operator's clock said).

## 5. Custody

\`custody.json\` lists who sealed, viewed, exported and verified this call's evidence. Each
event's \`hash\` is the SHA-256 of the RFC 8785 canonical JSON of its other fields, and names the
previous event's hash of the organization's chain.
`;
}
