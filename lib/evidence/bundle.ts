import { z } from "zod";
import { BundleZipError, SMALL_FILE_MAX_BYTES } from "./bundle-limits";
import type { ManifestArtifact } from "./manifest";

/**
 * The evidence bundle's layout (docs/adr/0017, 0025): one ZIP per call, every file named here, so
 * the exporter and the verifier agree on names without either reading the other's code. Pure.
 *
 *   manifest.json           the latest version's manifest, RFC 8785 canonical JSON (the JWS payload)
 *   manifest.jws            its compact JWS
 *   versions/v<N>.jws       every earlier version's JWS
 *   artifacts/…             each artifact's exact bytes (`artifactFileName`)
 *   documents/<sha256>.json each document an artifact cites by hash (a re-score's rubric, a
 *                           survey), as the canonical JSON that hash is taken over
 *   custody.json            the call's custody events up to and including this export's own
 *   jwks.json               the public keys (current and retired) by kid
 *   tsa.pem                 the TSA certificate(s) the timestamp tokens chain to
 *   VERIFY.md               how to check all of it by hand
 *   vcon.json               optional (docs/adr/0038): the call as a vCon, lib/evidence/vcon.ts;
 *                           when export.json lists it, it is held to that listing like any file
 *                           and must agree with manifest.json (`vconMismatches`); bundles
 *                           exported before it have none and still verify
 *   export.json             the export statement: every file above with its size and hashes
 *   export.jws              its compact JWS; the statement is a leaf of the organization's log
 *   proof.json              inclusion proofs of every version and of the statement against
 *                           tree-head.jws, and a consistency proof from an earlier head
 *   tree-head.jws           the signed tree head the proofs lead to (signed after the statement)
 *   timestamp.tsr           the RFC 3161 TimeStampToken over tree-head.jws's ASCII bytes (DER)
 *
 * A bundle holds exactly the files export.json lists and the five `UNLISTED_FILES`: nothing
 * may be added, and nothing listed may be missing.
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
  exportStatement: "export.json",
  exportJws: "export.jws",
} as const;

/** The files a bundle holds besides those export.json lists: the statement and what proves it was logged. */
export const UNLISTED_FILES: readonly string[] = [BUNDLE_FILES.exportStatement, BUNDLE_FILES.exportJws, BUNDLE_FILES.proof, BUNDLE_FILES.treeHead, BUNDLE_FILES.timestamp];

export const PROOF_FORMAT = "verbatim-evidence-proof/2";

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

/** Where a cited document sits in the bundle: `documents/<sha256>.json`. */
export function documentFileName(sha256: string): string {
  return `documents/${sha256}.json`;
}

/**
 * The documents a manifest's artifacts cite by hash, which the bundle must carry: a score's
 * rubric (`inputs.rubric.sha256`, the shopper script version it was scored against) and a survey
 * answer's survey (`inputs.survey.sha256`). Sorted, each once.
 */
export function citedDocuments(artifacts: ReadonlyArray<Pick<ManifestArtifact, "kind" | "inputs">>): string[] {
  const cited = new Set<string>();
  for (const a of artifacts) {
    const ref = a.kind === "score" ? a.inputs.rubric : a.kind === "survey_answer" ? a.inputs.survey : undefined;
    const sha = ref && typeof ref === "object" ? (ref as { sha256?: unknown }).sha256 : undefined;
    if (typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha)) cited.add(sha);
  }
  return [...cited].sort();
}

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
  /** The export statement's leaf and inclusion proof against the same head (the head's last leaf). */
  export: z.strictObject({ statementSha256: hex32, leafIndex: z.number().int().min(0), inclusionProof: z.array(hex32) }),
  /**
   * An earlier signed head of the same log and the RFC 9162 consistency proof to tree-head.jws.
   * Every size of the log has a signed head, so this is null only for a log of one leaf.
   */
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

/**
 * The plain-language instructions shipped as VERIFY.md: every step a bash command that runs on a
 * machine with coreutils (8.31 or later, for basenc), OpenSSL 3 and jq, from the directory the
 * bundle was unzipped into, deriving what it checks from signed bytes only. The fenced bash
 * blocks, in order, form one script (tests/integration/verify-by-hand.test.ts runs them).
 */
export function verifyInstructions(args: { callId: string; version: number; issuer: string }): string {
  const fence = "```";
  return `# Verifying this evidence bundle

This bundle holds what Verbatim (${args.issuer}) sealed about call ${args.callId}, manifest
version ${args.version}, and what it said about this export. Everything in it can be checked
without Verbatim's software and without a network connection.

The quick way, from a checkout of Verbatim, pinning the issuer's keys and TSA certificate:

${fence}
curl -fsS ${args.issuer}/api/evidence/jwks > issuer-jwks.json
curl -fsS ${args.issuer}/api/evidence/tsa > issuer-tsa.pem
npm run verify -- bundle.zip --jwks issuer-jwks.json --tsa-cert issuer-tsa.pem
${fence}

Without \`--jwks\` and \`--tsa-cert\` the verifier uses the keys and certificate this bundle
carries itself, and says the bundle is only SELF-CONSISTENT (exit code 2): that shows nothing was
changed after export, not who exported it.

By hand, in seven steps. You need bash, coreutils 8.31 or later (\`sha256sum\`, \`sha512sum\`,
\`base64\`, \`basenc\`), OpenSSL 3 and jq 1.6 or later. Unzip the bundle into an empty directory
and run each block there, in order; each ends by printing "ok", and stops at the first check that
fails. Nothing below trusts this file: every expected value is read from signed bytes.

## 0. Tools and trust

The keys and TSA certificate you trust. The bundle's own \`jwks.json\` and \`tsa.pem\` are
used by default; to verify who made the bundle, replace them with the issuer's published ones
(\`${args.issuer}/api/evidence/jwks\` and \`${args.issuer}/api/evidence/tsa\`, fetched
over HTTPS; retired keys stay listed there).

${fence}bash
set -euo pipefail
KEYS=\${KEYS:-jwks.json}
TSA=\${TSA:-tsa.pem}
T=$(mktemp -d)
# base64url (RFC 4648 §5, unpadded as in a JWS) to bytes; hex to bytes.
b64url_decode() { tr -d '\\n' | tr -- '-_' '+/' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d; }
hex_decode() { tr -d '\\n' | tr 'a-f' 'A-F' | basenc --base16 -d; }
# The payload of a compact JWS, and its EdDSA (Ed25519) signature checked against $KEYS by kid.
jws_payload() { tr -d '\\n' < "$1" | cut -d. -f2 | b64url_decode; }
jws_verify() {
  tr -d '\\n' < "$1" > "$T/jws"
  cut -d. -f1 "$T/jws" | b64url_decode > "$T/header"
  jq -e --arg typ "$2" '.alg == "EdDSA" and .typ == $typ' "$T/header" > /dev/null || { echo "$1: not an EdDSA $2"; return 1; }
  jq -r --arg kid "$(jq -r .kid "$T/header")" '.keys[] | select(.kid == $kid and .kty == "OKP" and .crv == "Ed25519") | .x' "$KEYS" | head -n 1 | b64url_decode > "$T/key.raw"
  { printf '\\060\\052\\060\\005\\006\\003\\053\\145\\160\\003\\041\\000'; cat "$T/key.raw"; } > "$T/key.der"
  cut -d. -f1,2 "$T/jws" | tr -d '\\n' > "$T/signing-input"
  cut -d. -f3 "$T/jws" | b64url_decode > "$T/signature"
  openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/key.der" -rawin -in "$T/signing-input" -sigfile "$T/signature" > /dev/null || { echo "$1: the signature does not verify"; return 1; }
}
echo "0. tools: ok"
${fence}

## 1. The export statement is signed

\`export.json\` is what the issuer said about this bundle when it was exported: the call, the
manifest version, and every file with its size, SHA-256 and SHA-512. \`export.jws\` is its
compact JWS (RFC 7515, EdDSA, \`typ\` verbatim-export+jws) and its payload is exactly the bytes
of \`export.json\` (RFC 8785 canonical JSON).

${fence}bash
jws_verify export.jws verbatim-export+jws
jws_payload export.jws | cmp - export.json
echo "1. export statement: ok"
${fence}

## 2. The bundle holds exactly the listed files, byte for byte

Every file is listed in \`export.json\` except five: \`export.json\` and \`export.jws\`
themselves, and \`proof.json\`, \`tree-head.jws\` and \`timestamp.tsr\`, which prove in step 6 and 7
that the statement was logged. A file added, missing or changed fails here.

${fence}bash
{ jq -r '.files[].name' export.json; printf '%s\\n' export.json export.jws proof.json tree-head.jws timestamp.tsr; } | LC_ALL=C sort > "$T/listed"
find . -type f | sed 's|^\\./||' | LC_ALL=C sort > "$T/present"
diff "$T/listed" "$T/present"
jq -r '.files[] | "\\(.sha256)  \\(.name)"' export.json | sha256sum --quiet -c -
jq -r '.files[] | "\\(.sha512)  \\(.name)"' export.json | sha512sum --quiet -c -
jq -r '.files[] | "\\(.bytes) \\(.name)"' export.json | while read -r size name; do
  [ "$(wc -c < "$name")" -eq "$size" ] || { echo "$name is not $size bytes"; exit 1; }
done
echo "2. inventory: ok"
${fence}

## 3. The manifest is signed, and the artifacts are the bytes it sealed

\`manifest.json\` is the payload of \`manifest.jws\` (\`typ\` verbatim-manifest+jws): the call, its
modulations, every artifact with its SHA-256, SHA-512 and size, and \`missing[]\`, what was
asked for and is not there, with why. The statement must export this manifest, and the
artifacts it lists must be the ones the manifest sealed (an empty list on both sides is fine).

${fence}bash
jws_verify manifest.jws verbatim-manifest+jws
jws_payload manifest.jws | cmp - manifest.json
[ "$(jq -r .manifest.sha256 export.json)" = "$(sha256sum < manifest.json | cut -c1-64)" ]
[ "$(jq -r .manifest.version export.json)" = "$(jq -r .version manifest.json)" ]
jq -r '.artifacts[] | "\\(.sha256) \\(.sha512) \\(.bytes)"' manifest.json | LC_ALL=C sort > "$T/sealed"
jq -r '.files[] | select(.name | startswith("artifacts/")) | "\\(.sha256) \\(.sha512) \\(.bytes)"' export.json | LC_ALL=C sort > "$T/shipped"
diff "$T/sealed" "$T/shipped"
echo "3. manifest and artifacts: ok"
${fence}

## 4. Earlier versions and cited documents

Earlier versions are in \`versions/\`. Each is signed the same way, and each version's
\`previousSha256\` is the SHA-256 of the previous version's payload. A score names the rubric
it was scored against (\`inputs.rubric.sha256\`) and a survey answer its survey
(\`inputs.survey.sha256\`): each such document is in \`documents/<sha256>.json\`, as the bytes
that hash is taken over. A version of schema 2 also lists \`deleted[]\`: artifacts deleted by a
retention policy or an erasure request (tombstones). Each names the earlier version that listed
it (\`listedIn\`): that version must hash to \`listedIn.manifestSha256\` and list an artifact with
the same kind, id, sha256, sha512, bytes, mediaType, location and language, which this version no
longer lists; and no version drops a tombstone the one before it had.

${fence}bash
n=$(jq .version manifest.json)
for f in versions/v*.jws; do [ -e "$f" ] || continue; jws_verify "$f" verbatim-manifest+jws; done
v=2
while [ "$v" -le "$n" ]; do
  if [ "$v" -eq "$n" ]; then cur=$(cat manifest.json); else cur=$(jws_payload "versions/v$v.jws"); fi
  prev=$(jws_payload "versions/v$((v - 1)).jws" | sha256sum | cut -c1-64)
  [ "$(printf '%s' "$cur" | jq -r .previousSha256)" = "$prev" ] || { echo "version $v does not name version $((v - 1))"; exit 1; }
  v=$((v + 1))
done
for h in $(jq -r '.artifacts[] | (select(.kind == "score") | .inputs.rubric.sha256), (select(.kind == "survey_answer") | .inputs.survey.sha256) | select(. != null)' manifest.json | sort -u); do
  [ "$(sha256sum < "documents/$h.json" | cut -c1-64)" = "$h" ] || { echo "document $h is missing or altered"; exit 1; }
done
jq -c '(.deleted // [])[]' manifest.json | while read -r t; do
  v=$(printf '%s' "$t" | jq .listedIn.version)
  [ "$v" -lt "$n" ] || { echo "a tombstone names version $v, not an earlier one"; exit 1; }
  [ "$(jws_payload "versions/v$v.jws" | sha256sum | cut -c1-64)" = "$(printf '%s' "$t" | jq -r .listedIn.manifestSha256)" ] || { echo "a tombstone names another version $v"; exit 1; }
  jws_payload "versions/v$v.jws" | jq -e --argjson t "$t" 'any(.artifacts[]; . as $a | all("kind", "id", "sha256", "sha512", "bytes", "mediaType", "location", "language"; $a[.] == $t[.]))' > /dev/null || { echo "version $v does not list the deleted $(printf '%s' "$t" | jq -r '.kind + " " + .id') so"; exit 1; }
  jq -e --argjson t "$t" 'all(.artifacts[]; .id != $t.id)' manifest.json > /dev/null || { echo "a deleted artifact is still listed"; exit 1; }
done
v=2
while [ "$v" -le "$n" ]; do
  if [ "$v" -eq "$n" ]; then cur=$(cat manifest.json); else cur=$(jws_payload "versions/v$v.jws"); fi
  jws_payload "versions/v$((v - 1)).jws" | jq -e --argjson cur "$cur" '((.deleted // []) - ($cur.deleted // [])) == []' > /dev/null || { echo "version $v drops a tombstone"; exit 1; }
  v=$((v + 1))
done
echo "4. versions and documents: ok"
${fence}

## 5. Custody

\`custody.json\` lists who sealed, viewed, exported and verified this call's evidence, up to and
including this export (its bytes were checked in step 2, so no event can be dropped, reordered or
rewritten). Each event's \`hash\` is the SHA-256 of the RFC 8785 canonical JSON of its other
fields (the keys sorted, no whitespace), and \`previousHash\` names the event before it in the
organization's chain (other calls' events sit between). The last event is this export.

${fence}bash
jq -c '.events[]' custody.json | while read -r e; do
  [ "$(printf '%s' "$e" | jq -c -j -S 'del(.hash)' | sha256sum | cut -c1-64)" = "$(printf '%s' "$e" | jq -r .hash)" ] || { echo "custody event $(printf '%s' "$e" | jq .sequence) does not hash to itself"; exit 1; }
done
jq -e --slurpfile s export.json '.events[-1] | .action == "evidence.exported" and .requestId == $s[0].exportId and .sha256 == $s[0].manifest.sha256' custody.json > /dev/null
echo "5. custody: ok"
${fence}

## 6. The manifests and the statement are in the organization's log

The log is a Merkle tree as RFC 9162 §2.1 defines it, one per organization. A leaf is
SHA-256(0x00 ‖ the ASCII bytes of a compact JWS): every manifest version and every export
statement is one. \`tree-head.jws\` (\`typ\` verbatim-tree-head+jws) signs \`{ log, treeSize,
rootHash, timestamp, kid }\` after this export's statement was appended. \`proof.json\`:

- \`treeSize\`: the size the head signs;
- \`versions[]\`: each version's \`leafIndex\` and \`inclusionProof\` (hex hashes, RFC 9162
  §2.1.3), \`leafIndex\` and \`inclusionProof\` at the top level repeat the latest version's;
- \`export\`: the statement's \`statementSha256\` (SHA-256 of \`export.json\`), \`leafIndex\`
  (the head's last leaf) and \`inclusionProof\`;
- \`consistency\`: an earlier signed head (\`fromTreeHead\`, of \`fromTreeSize\` leaves, signed
  when the first version was sealed) and the RFC 9162 §2.1.4 proof that the log only grew
  since. Every size of the log has a signed head, so it is present whenever \`treeSize\` > 1.

${fence}bash
node_hash() { { printf '\\001'; printf '%s' "$1" | hex_decode; printf '%s' "$2" | hex_decode; } | sha256sum | cut -c1-64; }
leaf_hash() { { printf '\\000'; tr -d '\\n' < "$1"; } | sha256sum | cut -c1-64; }
# RFC 9162 §2.1.3.2: the root an inclusion proof leads to (args: leaf hash, index, size, proof...).
inclusion_root() {
  local r=$1 fn=$2 sn=$(($3 - 1)) p; shift 3
  for p in "$@"; do
    [ "$sn" -eq 0 ] && { echo invalid; return; }
    if [ $((fn % 2)) -eq 1 ] || [ "$fn" -eq "$sn" ]; then
      r=$(node_hash "$p" "$r")
      while [ $((fn % 2)) -eq 0 ] && [ "$fn" -ne 0 ]; do fn=$((fn / 2)); sn=$((sn / 2)); done
    else
      r=$(node_hash "$r" "$p")
    fi
    fn=$((fn / 2)); sn=$((sn / 2))
  done
  [ "$sn" -eq 0 ] && echo "$r" || echo invalid
}
# RFC 9162 §2.1.4.2: prints "old-root new-root" a consistency proof leads to (args: old size, new size, old root, proof...).
consistency_roots() {
  local m=$1 nn=$2 fr sr fn sn c; shift 2
  if [ $((m & (m - 1))) -eq 0 ]; then set -- "$@"; else shift; fi
  fn=$((m - 1)); sn=$((nn - 1))
  while [ $((fn % 2)) -eq 1 ]; do fn=$((fn / 2)); sn=$((sn / 2)); done
  fr=$1; sr=$1; shift
  for c in "$@"; do
    [ "$sn" -eq 0 ] && { echo invalid; return; }
    if [ $((fn % 2)) -eq 1 ] || [ "$fn" -eq "$sn" ]; then
      fr=$(node_hash "$c" "$fr"); sr=$(node_hash "$c" "$sr")
      while [ $((fn % 2)) -eq 0 ] && [ "$fn" -ne 0 ]; do fn=$((fn / 2)); sn=$((sn / 2)); done
    else
      sr=$(node_hash "$sr" "$c")
    fi
    fn=$((fn / 2)); sn=$((sn / 2))
  done
  [ "$sn" -eq 0 ] && echo "$fr $sr" || echo invalid
}
jws_verify tree-head.jws verbatim-tree-head+jws
jws_payload tree-head.jws > "$T/head.json"
size=$(jq .treeSize "$T/head.json"); root=$(jq -r .rootHash "$T/head.json")
[ "$(jq -r .log "$T/head.json")" = "$(jq -r .organizationId manifest.json)" ]
[ "$(jq .treeSize proof.json)" = "$size" ]
[ "$(jq -r .export.statementSha256 proof.json)" = "$(sha256sum < export.json | cut -c1-64)" ]
[ "$(jq .export.leafIndex proof.json)" -eq $((size - 1)) ]
[ "$(inclusion_root "$(leaf_hash export.jws)" "$(jq .export.leafIndex proof.json)" "$size" $(jq -r '.export.inclusionProof[]' proof.json))" = "$root" ]
for v in $(jq '.versions[].version' proof.json); do
  if [ "$v" -eq "$n" ]; then f=manifest.jws; else f="versions/v$v.jws"; fi
  i=$(jq --argjson v "$v" '.versions[] | select(.version == $v) | .leafIndex' proof.json)
  [ "$(inclusion_root "$(leaf_hash "$f")" "$i" "$size" $(jq -r --argjson v "$v" '.versions[] | select(.version == $v) | .inclusionProof[]' proof.json))" = "$root" ] || { echo "version $v is not in the log"; exit 1; }
done
[ "$(jq '.versions | length' proof.json)" -eq "$n" ]
if [ "$size" -gt 1 ]; then
  jq -r .consistency.fromTreeHead proof.json > "$T/from.jws"
  jws_verify "$T/from.jws" verbatim-tree-head+jws
  jws_payload "$T/from.jws" > "$T/from.json"
  m=$(jq .consistency.fromTreeSize proof.json)
  [ "$(jq .treeSize "$T/from.json")" -eq "$m" ]
  [ "$m" -lt "$size" ]
  [ "$(jq -r .log "$T/from.json")" = "$(jq -r .log "$T/head.json")" ]
  [ "$(consistency_roots "$m" "$size" "$(jq -r .rootHash "$T/from.json")" $(jq -r '.consistency.proof[]' proof.json))" = "$(jq -r .rootHash "$T/from.json") $root" ]
fi
echo "6. log: ok"
${fence}

## 7. The head existed no later than its timestamp

\`timestamp.tsr\` is an RFC 3161 token over the ASCII bytes of \`tree-head.jws\`, from the TSA
whose certificate you trust (the embedded default uses a local TSA with its own certificate,
which proves only what its operator's clock said).

${fence}bash
openssl ts -verify -data tree-head.jws -in timestamp.tsr -token_in -CAfile "$TSA" > /dev/null
rm -rf "$T"
echo "7. timestamp: ok"
${fence}
`;
}
