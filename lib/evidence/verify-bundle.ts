import { createHash } from "node:crypto";
import type { JSONWebKeySet } from "jose";
import { VCON_FILE, vconMismatches } from "./vcon";
import { artifactFileName, BUNDLE_FILES, bundleProofSchema, citedDocuments, custodyFileSchema, documentFileName, UNLISTED_FILES, versionFileName, type BundleProof, type BundleReader } from "./bundle";
import { BundleZipError } from "./bundle-limits";
import { canonicalJson } from "./canonical-json";
import { custodyEventHash } from "./custody";
import { ExportStatementError, verifyExportStatement, type ExportStatement } from "./export-statement";
import { manifestLogEntry, ManifestError, manifestSchema, verifyManifest, type Manifest } from "./manifest";
import { hashLeaf, rootFromInclusionProof, verifyConsistency } from "./merkle";
import { signedTreeHeadBytes, TreeHeadError, verifyTreeHead, type TreeHead } from "./tree-head";
import { TimeStampError, verifyTimeStampToken } from "./timestamp";

/**
 * The offline verifier for an evidence bundle (docs/adr/0017). Pure: no database, no network,
 * no Next.js; the CLI, the verify API and the tests call it as it is.
 *
 * Every check is reported, passed or failed, with what it was about (`subject`: a file, an
 * artifact, a proof) and, where it applies, which field. A failed check never stops the others
 * unless they depend on it (no artifact can be checked against a manifest that does not verify).
 *
 * What is checked (docs/adr/0017, 0025): the manifest and every earlier version; the export
 * statement, whose files are exactly the bundle's (besides the five `UNLISTED_FILES`), each with
 * the size and hashes it lists; every artifact against the manifest and every cited document
 * against its hash; the custody record, which must end with this export's own event and name
 * every version's sealing; the inclusion of every version and of the statement in the signed
 * head; consistency with an earlier head whenever the log had one; the head's RFC 3161 token.
 *
 * Trust: the bundle's own jwks.json and tsa.pem are used unless the caller passes its own
 * (`options.jwks`, `options.trustedTsaCertificates`). Checked against the bundle's own anchors, a
 * bundle is at best self-consistent: anyone can make one with their own key and TSA. Only with
 * both anchors pinned is the verdict "verified" (`report.verdict`).
 */
export type CheckName =
  | "bundle.file"
  | "bundle.inventory"
  | "export.signature"
  | "export.json"
  | "export.manifest"
  | "document.cited"
  | "vcon.manifest"
  | "log.export"
  | "manifest.signature"
  | "manifest.schema"
  | "manifest.json"
  | "artifact.present"
  | "artifact.bytes"
  | "artifact.sha256"
  | "artifact.sha512"
  | "versions.chain"
  | "tombstone.listed"
  | "tombstone.kept"
  | "log.leaf"
  | "log.inclusion"
  | "tree_head.signature"
  | "tree_head.log"
  | "timestamp.token"
  | "log.consistency"
  | "custody.chain"
  | "organization.log"
  | "organization.custody";

export interface VerificationCheck {
  check: CheckName;
  ok: boolean;
  /** What was checked: a file, `artifact <kind> <id>`, `version <n>`, a proof. */
  subject: string;
  /** The field that failed, when one did (`sha256`, `call.status`, `previousSha256`, …). */
  field?: string;
  /** A machine-readable reason from the underlying check (`bad_signature`, `untrusted_tsa`, …). */
  reason?: string;
  message: string;
}

export interface VerificationReport {
  ok: boolean;
  checks: VerificationCheck[];
  failures: VerificationCheck[];
  manifest: { callId: string; organizationId: string; version: number; sha256: string; kid: string; issuedAt: string } | null;
  log: { treeSize: number; leafIndex: number; rootHash: string } | null;
  timestamp: { genTime: string; tsaCertificateSha256: string } | null;
  /**
   * What the bundle claims sits in the organization's log and custody record, for a check
   * against them (the verify API's `organization.*` checks): every version's leaf, the export
   * statement's, and the custody events by sequence and hash.
   */
  anchors: {
    versions: Array<{ version: number; manifestSha256: string; leafIndex: number }>;
    statement: { sha256: string; leafIndex: number; exportId: string } | null;
    custody: Array<{ sequence: number; hash: string }>;
  } | null;
  trust: { jwks: "bundle" | "caller"; tsa: "bundle" | "caller" };
  /**
   * "verified": every check passed against keys and TSA certificates the caller pinned.
   * "self_consistent": every check passed, against anchors the bundle brought itself, so it
   * shows the bundle is intact, not who made it. "failed": a check failed.
   */
  verdict: Verdict;
}

export type Verdict = "verified" | "self_consistent" | "failed";

export function verdictOf(ok: boolean, trust: VerificationReport["trust"]): Verdict {
  if (!ok) return "failed";
  return trust.jwks === "caller" && trust.tsa === "caller" ? "verified" : "self_consistent";
}

export interface VerifyOptions {
  /** Keys to trust instead of the bundle's jwks.json (say, fetched from the issuer once). */
  jwks?: JSONWebKeySet;
  /** TSA certificates (PEM) to trust instead of the bundle's tsa.pem. */
  trustedTsaCertificates?: string[];
}

export async function verifyBundle(bundle: BundleReader, options: VerifyOptions = {}): Promise<VerificationReport> {
  const checks: VerificationCheck[] = [];
  const pass = (c: Omit<VerificationCheck, "ok">) => checks.push({ ...c, ok: true });
  const fail = (c: Omit<VerificationCheck, "ok">) => checks.push({ ...c, ok: false });
  const report = (extra: Partial<VerificationReport> = {}): VerificationReport => {
    const failures = checks.filter((c) => !c.ok);
    const ok = failures.length === 0 && (extra.manifest ?? null) !== null;
    return { ok, checks, failures, manifest: null, log: null, timestamp: null, anchors: null, trust, verdict: verdictOf(ok, trust), ...extra };
  };
  const trust = { jwks: options.jwks ? "caller" : "bundle", tsa: options.trustedTsaCertificates ? "caller" : "bundle" } as const;

  const text = async (name: string): Promise<string | undefined> => {
    const bytes = await bundle.read(name);
    if (bytes === undefined) {
      fail({ check: "bundle.file", subject: name, message: `${name} is not in the bundle.` });
      return undefined;
    }
    return new TextDecoder().decode(bytes);
  };

  // Keys.
  let keys: JSONWebKeySet | undefined = options.jwks;
  if (!keys) {
    const jwksText = await text(BUNDLE_FILES.jwks);
    if (jwksText !== undefined) {
      try {
        keys = JSON.parse(jwksText) as JSONWebKeySet;
        if (!Array.isArray(keys?.keys)) throw new Error('it has no "keys" array');
      } catch (error) {
        fail({ check: "bundle.file", subject: BUNDLE_FILES.jwks, message: `jwks.json is not a JWK Set: ${(error as Error).message}` });
        keys = undefined;
      }
    }
  }

  // The manifest: its JWS, and manifest.json as the exact payload.
  const jws = (await text(BUNDLE_FILES.manifestJws))?.trim();
  const manifestBytes = await bundle.read(BUNDLE_FILES.manifest);
  if (manifestBytes === undefined) fail({ check: "bundle.file", subject: BUNDLE_FILES.manifest, message: "manifest.json is not in the bundle." });
  if (jws === undefined || !keys) return report();

  let manifest: Manifest;
  let manifestSha: string;
  try {
    ({ manifest, sha256: manifestSha } = await verifyManifest(jws, keys));
    pass({ check: "manifest.signature", subject: BUNDLE_FILES.manifestJws, message: `Signed with EdDSA by key ${manifest.kid}.` });
    pass({ check: "manifest.schema", subject: BUNDLE_FILES.manifestJws, message: `A valid schema ${manifest.schemaVersion} manifest in canonical JSON.` });
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    const isSchema = error.reason === "invalid_payload" || error.reason === "not_canonical";
    fail({ check: isSchema ? "manifest.schema" : "manifest.signature", subject: BUNDLE_FILES.manifestJws, reason: error.reason, message: error.message });
    return report();
  }
  const summary = { callId: manifest.call.id, organizationId: manifest.organizationId, version: manifest.version, sha256: manifestSha, kid: manifest.kid, issuedAt: manifest.issuedAt };

  // export.jws verifies, export.json is exactly its payload, and it is about this manifest.
  async function checkExportStatement(): Promise<{ statement: ExportStatement; sha256: string; jws: string } | undefined> {
    const statementJws = (await text(BUNDLE_FILES.exportJws))?.trim();
    const given = await bundle.read(BUNDLE_FILES.exportStatement);
    if (given === undefined) fail({ check: "bundle.file", subject: BUNDLE_FILES.exportStatement, message: "export.json is not in the bundle: nothing says which files the bundle holds." });
    if (statementJws === undefined) return undefined;
    let verified: Awaited<ReturnType<typeof verifyExportStatement>>;
    try {
      verified = await verifyExportStatement(statementJws, keys!);
      pass({ check: "export.signature", subject: BUNDLE_FILES.exportJws, message: `The export statement is signed with EdDSA by key ${verified.statement.kid}.` });
    } catch (error) {
      if (!(error instanceof ExportStatementError)) throw error;
      fail({ check: "export.signature", subject: BUNDLE_FILES.exportJws, reason: error.reason, message: error.message });
      return undefined;
    }
    if (given !== undefined) {
      if (new TextDecoder().decode(given) === verified.payload) pass({ check: "export.json", subject: BUNDLE_FILES.exportStatement, message: "export.json is exactly the signed statement." });
      else fail({ check: "export.json", subject: BUNDLE_FILES.exportStatement, reason: "differs_from_signed", message: "export.json differs from the payload of export.jws." });
    }
    const s = verified.statement;
    const about = s.organizationId === manifest.organizationId && s.callId === manifest.call.id && s.manifest.version === manifest.version && s.manifest.sha256 === manifestSha;
    if (about) pass({ check: "export.manifest", subject: BUNDLE_FILES.exportStatement, message: `The statement exports version ${s.manifest.version} of call ${s.callId} (export ${s.exportId}, ${s.exportedAt}).` });
    else fail({ check: "export.manifest", subject: BUNDLE_FILES.exportStatement, field: "manifest", reason: "other_manifest", message: `The statement exports version ${s.manifest.version} (${s.manifest.sha256}) of call ${s.callId}, not this bundle's version ${manifest.version} (${manifestSha}) of call ${manifest.call.id}.` });
    return { statement: s, sha256: verified.sha256, jws: statementJws };
  }

  if (manifestBytes !== undefined) {
    const signed = canonicalJson(manifest);
    const given = new TextDecoder().decode(manifestBytes);
    if (given === signed) {
      pass({ check: "manifest.json", subject: BUNDLE_FILES.manifest, message: "manifest.json is exactly the signed payload." });
    } else {
      const field = differingField(parseOrUndefined(given), JSON.parse(signed)) ?? "(formatting)";
      const schema = manifestSchema.safeParse(parseOrUndefined(given));
      fail({
        check: "manifest.json",
        subject: BUNDLE_FILES.manifest,
        field,
        reason: "differs_from_signed",
        message: `manifest.json differs from the signed manifest at ${field}${schema.success ? "" : ` (and is not a valid manifest: ${schema.error.issues[0]?.path.join(".")})`}.`,
      });
    }
  }

  // Every file's size and hashes, streamed once with the size the statement (or manifest) declares.
  // A file stored at another size is refused by the reader before it is inflated; it is then
  // measured as it is (within the reader's limits for the whole ZIP), so the report can say
  // what differs instead of stopping at the first such file.
  const measured = new Map<string, { bytes: number; sha256: string; sha512: string } | null>();
  const open = async (name: string, expectedBytes?: number) => {
    try {
      return await bundle.stream(name, expectedBytes);
    } catch (error) {
      if (!(error instanceof BundleZipError && error.reason === "size_mismatch") || expectedBytes === undefined) throw error;
      return bundle.stream(name);
    }
  };
  const measure = async (name: string, expectedBytes?: number) => {
    if (measured.has(name)) return measured.get(name)!;
    const stream = await open(name, expectedBytes);
    let result: { bytes: number; sha256: string; sha512: string } | null = null;
    if (stream) {
      const sha256 = createHash("sha256");
      const sha512 = createHash("sha512");
      let size = 0;
      for await (const chunk of stream) {
        sha256.update(chunk);
        sha512.update(chunk);
        size += chunk.length;
      }
      result = { bytes: size, sha256: sha256.digest("hex"), sha512: sha512.digest("hex") };
    }
    measured.set(name, result);
    return result;
  };

  // The export statement: signed, about this manifest, and the bundle's exact inventory.
  const statement = await checkExportStatement();
  if (statement) {
    const expected = new Set<string>([BUNDLE_FILES.manifest, BUNDLE_FILES.manifestJws, BUNDLE_FILES.custody, BUNDLE_FILES.jwks, BUNDLE_FILES.tsa, BUNDLE_FILES.readme]);
    for (let v = 1; v < manifest.version; v++) expected.add(versionFileName(v));
    for (const artifact of manifest.artifacts) expected.add(artifactFileName(artifact));
    for (const sha of citedDocuments(manifest.artifacts)) expected.add(documentFileName(sha));
    const listed = new Set(statement.statement.files.map((f) => f.name));
    // vcon.json (docs/adr/0038) is optional, so bundles exported before it keep verifying; when
    // the statement lists it, it is held to the listing like every other file.
    if (listed.has(VCON_FILE)) expected.add(VCON_FILE);
    for (const name of listed) {
      if (!expected.has(name)) fail({ check: "bundle.inventory", subject: name, reason: "not_evidence", message: `export.json lists ${name}, which is neither in the manifest nor one of the bundle's fixed files.` });
    }
    for (const name of expected) {
      if (!listed.has(name)) fail({ check: "bundle.inventory", subject: name, reason: "not_listed", message: `export.json does not list ${name}, which a bundle of this manifest must hold.` });
    }
    const present = new Set(bundle.names());
    for (const name of present) {
      if (!listed.has(name) && !UNLISTED_FILES.includes(name)) fail({ check: "bundle.inventory", subject: name, reason: "unlisted", message: `${name} is in the bundle but not in the signed export statement: something was added after export.` });
    }
    for (const file of statement.statement.files) {
      const got = await measure(file.name, file.bytes);
      if (!got) {
        fail({ check: "bundle.inventory", subject: file.name, reason: "missing", message: `${file.name} is listed in export.json and is not in the bundle.` });
        continue;
      }
      const differs = (["bytes", "sha256", "sha512"] as const).find((field) => got[field] !== file[field]);
      if (differs) fail({ check: "bundle.inventory", subject: file.name, field: differs, reason: "mismatch", message: `${file.name}'s ${differs} is ${got[differs]}; export.json lists ${file[differs]}.` });
    }
    if (!checks.some((c) => c.check === "bundle.inventory" && !c.ok)) {
      pass({ check: "bundle.inventory", subject: BUNDLE_FILES.exportStatement, message: `The bundle holds exactly the ${listed.size} files export.json lists (each with its size, SHA-256 and SHA-512) and the ${UNLISTED_FILES.length} that prove the statement.` });
    }
  }

  // Artifacts: presence, size, SHA-256, SHA-512 against the manifest.
  for (const artifact of manifest.artifacts) {
    const name = artifactFileName(artifact);
    const subject = `artifact ${artifact.kind} ${artifact.id} (${name})`;
    const got = await measure(name, artifact.bytes);
    if (!got) {
      fail({ check: "artifact.present", subject, reason: "missing", message: `${name} is listed in the manifest and is not in the bundle.` });
      continue;
    }
    pass({ check: "artifact.present", subject, message: `${name} is in the bundle.` });
    for (const field of ["bytes", "sha256", "sha512"] as const) {
      const check = `artifact.${field}` as const;
      if (got[field] === artifact[field]) pass({ check, subject, field, message: `${field} matches (${artifact[field]}).` });
      else fail({ check, subject, field, reason: "mismatch", message: `${name}'s ${field} is ${got[field]}; the manifest says ${artifact[field]}.` });
    }
  }

  // Documents the artifacts cite by hash: each in the bundle, hashing to its name.
  for (const sha of citedDocuments(manifest.artifacts)) {
    const name = documentFileName(sha);
    const got = await measure(name);
    if (!got) fail({ check: "document.cited", subject: name, reason: "missing", message: `An artifact cites document ${sha} and ${name} is not in the bundle.` });
    else if (got.sha256 !== sha) fail({ check: "document.cited", subject: name, field: "sha256", reason: "mismatch", message: `${name} hashes to ${got.sha256}, not the ${sha} its artifacts cite.` });
    else pass({ check: "document.cited", subject: name, message: "The cited document is in the bundle and hashes to its citation." });
  }

  // The vCon, when the bundle has one: derived from this manifest, its hashes the manifest's.
  if (bundle.names().includes(VCON_FILE)) {
    const raw = await text(VCON_FILE);
    const mismatches = raw === undefined ? [{ field: "", message: "cannot be read" }] : vconMismatches(parseOrUndefined(raw), manifest, jws);
    for (const m of mismatches) fail({ check: "vcon.manifest", subject: VCON_FILE, field: m.field || undefined, reason: "mismatch", message: `${VCON_FILE}${m.field ? ` ${m.field}` : ""} ${m.message}.` });
    if (mismatches.length === 0) pass({ check: "vcon.manifest", subject: VCON_FILE, message: "The vCon is this manifest version's: its uuid, parties, recording content_hash (SHA-512), analysis bodies and attached manifest JWS agree with the manifest." });
  }

  // Earlier versions: each verifies and the chain of previous hashes holds up to this one.
  const versionNames = bundle.names().filter((n) => /^versions\/v\d+\.jws$/.test(n));
  const versions = new Map<number, { jws: string; manifest: Manifest; sha256: string }>([[manifest.version, { jws, manifest, sha256: manifestSha }]]);
  for (let v = 1; v < manifest.version; v++) {
    const name = versionFileName(v);
    const vBytes = await bundle.read(name);
    const vText = vBytes === undefined ? undefined : new TextDecoder().decode(vBytes).trim();
    if (vText === undefined) {
      fail({ check: "versions.chain", subject: `version ${v}`, reason: "missing", message: `${name} is not in the bundle: the chain from version 1 to ${manifest.version} cannot be followed.` });
      continue;
    }
    try {
      const verified = await verifyManifest(vText, keys);
      if (verified.manifest.version !== v || verified.manifest.call.id !== manifest.call.id || verified.manifest.organizationId !== manifest.organizationId) {
        fail({ check: "versions.chain", subject: `version ${v}`, field: "version", reason: "wrong_version", message: `${name} is version ${verified.manifest.version} of call ${verified.manifest.call.id}, not version ${v} of call ${manifest.call.id}.` });
        continue;
      }
      versions.set(v, { jws: vText, ...verified });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      fail({ check: "versions.chain", subject: `version ${v}`, reason: error.reason, message: `${name}: ${error.message}` });
    }
  }
  for (let v = 2; v <= manifest.version; v++) {
    const previous = versions.get(v - 1);
    const current = versions.get(v);
    if (!previous || !current) continue;
    if (current.manifest.previousSha256 === previous.sha256) {
      pass({ check: "versions.chain", subject: `version ${v}`, field: "previousSha256", message: `Version ${v} names version ${v - 1}'s hash.` });
    } else {
      fail({ check: "versions.chain", subject: `version ${v}`, field: "previousSha256", reason: "broken_link", message: `Version ${v}'s previousSha256 is ${current.manifest.previousSha256}; version ${v - 1} hashes to ${previous.sha256}.` });
    }
  }
  const unexpected = versionNames.filter((n) => Number(n.slice(10, -4)) >= manifest.version);
  for (const name of unexpected) fail({ check: "versions.chain", subject: name, reason: "unexpected", message: `${name} is not an earlier version of manifest version ${manifest.version}.` });

  checkTombstones(manifest, versions, { pass, fail });

  // The signed tree head, the inclusion proofs and the consistency proof.
  const proofText = await text(BUNDLE_FILES.proof);
  const headJws = (await text(BUNDLE_FILES.treeHead))?.trim();
  let proof: BundleProof | undefined;
  if (proofText !== undefined) {
    const parsed = bundleProofSchema.safeParse(parseOrUndefined(proofText));
    if (parsed.success) proof = parsed.data;
    else fail({ check: "bundle.file", subject: BUNDLE_FILES.proof, field: parsed.error.issues[0]?.path.join("."), reason: "invalid", message: `proof.json is not a valid proof file: ${parsed.error.issues[0]?.message}` });
  }
  let head: TreeHead | undefined;
  if (headJws !== undefined) {
    try {
      head = await verifyTreeHead(headJws, keys);
      pass({ check: "tree_head.signature", subject: BUNDLE_FILES.treeHead, message: `Head of ${head.treeSize} leaves signed by key ${head.kid} at ${head.timestamp}.` });
      if (head.log === manifest.organizationId) pass({ check: "tree_head.log", subject: BUNDLE_FILES.treeHead, field: "log", message: "The head is of the manifest's organization's log." });
      else fail({ check: "tree_head.log", subject: BUNDLE_FILES.treeHead, field: "log", reason: "other_log", message: `The head is of log ${head.log}, not the manifest's organization ${manifest.organizationId}.` });
    } catch (error) {
      if (!(error instanceof TreeHeadError)) throw error;
      fail({ check: "tree_head.signature", subject: BUNDLE_FILES.treeHead, reason: error.reason, message: error.message });
    }
  }

  if (proof && head) {
    if (proof.treeSize !== head.treeSize) {
      fail({ check: "log.inclusion", subject: BUNDLE_FILES.proof, field: "treeSize", reason: "other_tree", message: `proof.json is for a tree of ${proof.treeSize} leaves; tree-head.jws signs a tree of ${head.treeSize}.` });
    }
    const latest = proof.versions.find((p) => p.version === manifest.version);
    if (!latest || latest.leafIndex !== proof.leafIndex || latest.inclusionProof.join() !== proof.inclusionProof.join()) {
      fail({ check: "log.inclusion", subject: BUNDLE_FILES.proof, field: "versions", reason: "inconsistent", message: "proof.json's top-level leaf and proof are not the latest version's." });
    }
    for (const entry of proof.versions) {
      const version = versions.get(entry.version);
      const subject = `version ${entry.version} (leaf ${entry.leafIndex})`;
      if (!version) continue;
      if (entry.manifestSha256 !== version.sha256) {
        fail({ check: "log.leaf", subject, field: "manifestSha256", reason: "mismatch", message: `proof.json names manifest ${entry.manifestSha256} for version ${entry.version}; its JWS's payload hashes to ${version.sha256}.` });
      }
      const leafHash = hashLeaf(manifestLogEntry(version.jws));
      try {
        const root = Buffer.from(rootFromInclusionProof(leafHash, entry.leafIndex, head.treeSize, entry.inclusionProof.map(fromHex))).toString("hex");
        if (root === head.rootHash) pass({ check: "log.inclusion", subject, message: `Version ${entry.version}'s JWS is leaf ${entry.leafIndex} of the signed tree of ${head.treeSize}.` });
        else fail({ check: "log.inclusion", subject, field: "inclusionProof", reason: "root_mismatch", message: `The inclusion proof of version ${entry.version} leads to root ${root}; the signed head's root is ${head.rootHash}.` });
      } catch (error) {
        fail({ check: "log.inclusion", subject, field: "inclusionProof", reason: "malformed", message: `The inclusion proof of version ${entry.version} cannot be checked: ${(error as Error).message}` });
      }
    }
    for (const v of versions.keys()) {
      if (!proof.versions.some((p) => p.version === v)) fail({ check: "log.inclusion", subject: `version ${v}`, reason: "missing", message: `proof.json has no inclusion proof for version ${v}.` });
    }

    // The export statement is the head's last leaf: the head was signed right after it was logged.
    if (statement) {
      const subject = `export statement (leaf ${proof.export.leafIndex})`;
      if (proof.export.statementSha256 !== statement.sha256) {
        fail({ check: "log.export", subject, field: "statementSha256", reason: "mismatch", message: `proof.json names statement ${proof.export.statementSha256}; export.jws's payload hashes to ${statement.sha256}.` });
      } else if (proof.export.leafIndex !== head.treeSize - 1) {
        fail({ check: "log.export", subject, field: "leafIndex", reason: "not_last", message: `The statement is leaf ${proof.export.leafIndex}; the head it is proven against must be the one signed right after it (size ${proof.export.leafIndex + 1}), not ${head.treeSize}.` });
      } else {
        try {
          const root = Buffer.from(rootFromInclusionProof(hashLeaf(new TextEncoder().encode(statement.jws)), proof.export.leafIndex, head.treeSize, proof.export.inclusionProof.map(fromHex))).toString("hex");
          if (root === head.rootHash) pass({ check: "log.export", subject, message: `The export statement is leaf ${proof.export.leafIndex} of the signed tree of ${head.treeSize}.` });
          else fail({ check: "log.export", subject, field: "inclusionProof", reason: "root_mismatch", message: `The statement's inclusion proof leads to root ${root}; the signed head's root is ${head.rootHash}.` });
        } catch (error) {
          fail({ check: "log.export", subject, field: "inclusionProof", reason: "malformed", message: `The statement's inclusion proof cannot be checked: ${(error as Error).message}` });
        }
      }
    }

    // Every size of the log has a signed head: a log of more than one leaf had an earlier one.
    if (!proof.consistency && head.treeSize > 1) {
      fail({ check: "log.consistency", subject: BUNDLE_FILES.proof, field: "consistency", reason: "missing", message: `The log has ${head.treeSize} leaves, so earlier heads exist, and proof.json gives no consistency proof from one.` });
    }
    if (proof.consistency && proof.consistency.fromTreeSize >= head.treeSize) {
      fail({ check: "log.consistency", subject: BUNDLE_FILES.proof, field: "consistency.fromTreeSize", reason: "not_earlier", message: `The consistency proof starts at ${proof.consistency.fromTreeSize} leaves, which is not earlier than the head's ${head.treeSize}.` });
    } else if (proof.consistency) {
      const subject = `consistency ${proof.consistency.fromTreeSize} → ${head.treeSize}`;
      try {
        const older = await verifyTreeHead(proof.consistency.fromTreeHead, keys);
        if (older.log !== head.log || older.treeSize !== proof.consistency.fromTreeSize) {
          fail({ check: "log.consistency", subject, field: "fromTreeHead", reason: "other_log", message: `The earlier head is of log ${older.log} with ${older.treeSize} leaves; expected log ${head.log} with ${proof.consistency.fromTreeSize}.` });
        } else if (verifyConsistency({ oldSize: older.treeSize, newSize: head.treeSize, oldRoot: fromHex(older.rootHash), newRoot: fromHex(head.rootHash), proof: proof.consistency.proof.map(fromHex) })) {
          pass({ check: "log.consistency", subject, message: `The log of ${older.treeSize} leaves (signed ${older.timestamp}) is a prefix of the log of ${head.treeSize}.` });
        } else {
          fail({ check: "log.consistency", subject, field: "proof", reason: "inconsistent", message: `The earlier head (${older.treeSize} leaves, root ${older.rootHash}) is not consistent with tree-head.jws: the log was rewritten between them, or the proof is wrong.` });
        }
      } catch (error) {
        if (!(error instanceof TreeHeadError)) throw error;
        fail({ check: "log.consistency", subject, field: "fromTreeHead", reason: error.reason, message: `The earlier head: ${error.message}` });
      }
    }
  }

  // The RFC 3161 token over the head.
  let timestamp: VerificationReport["timestamp"] = null;
  const token = await bundle.read(BUNDLE_FILES.timestamp);
  const tsaPem = options.trustedTsaCertificates ?? splitPem((await text(BUNDLE_FILES.tsa)) ?? "");
  if (token === undefined) fail({ check: "bundle.file", subject: BUNDLE_FILES.timestamp, message: "timestamp.tsr is not in the bundle." });
  else if (headJws !== undefined) {
    if (tsaPem.length === 0) fail({ check: "timestamp.token", subject: BUNDLE_FILES.tsa, reason: "no_tsa_certificate", message: "No TSA certificate to check the token against." });
    else {
      try {
        const verified = await verifyTimeStampToken(token, { data: signedTreeHeadBytes(headJws), trustedCertificates: tsaPem });
        timestamp = { genTime: verified.genTime.toISOString(), tsaCertificateSha256: createHash("sha256").update(verified.tsaCertificate).digest("hex") };
        pass({ check: "timestamp.token", subject: BUNDLE_FILES.timestamp, message: `The head existed no later than ${timestamp.genTime} (RFC 3161, TSA serial ${verified.serialNumber}).` });
      } catch (error) {
        if (!(error instanceof TimeStampError)) throw error;
        fail({ check: "timestamp.token", subject: BUNDLE_FILES.timestamp, reason: error.reason, message: error.message });
      }
    }
  }

  // Custody: every event hashes to itself, consecutive events link, all are this call's.
  const custodyText = await text(BUNDLE_FILES.custody);
  let custodyEventsSeen: Array<{ sequence: number; hash: string }> = [];
  if (custodyText !== undefined) {
    const parsed = custodyFileSchema.safeParse(parseOrUndefined(custodyText));
    if (!parsed.success) fail({ check: "custody.chain", subject: BUNDLE_FILES.custody, reason: "invalid", message: `custody.json is not a custody record: ${parsed.error.issues[0]?.message}` });
    else {
      let broken = 0;
      const events = parsed.data.events;
      custodyEventsSeen = events;
      for (const [i, event] of events.entries()) {
        const { hash, ...fields } = event;
        const subject = `custody event ${event.sequence}`;
        if (event.organizationId !== manifest.organizationId || event.callId !== manifest.call.id) {
          fail({ check: "custody.chain", subject, field: event.organizationId !== manifest.organizationId ? "organizationId" : "callId", reason: "other_call", message: `Custody event ${event.sequence} is not about this call.` });
          broken++;
        } else if (custodyEventHash(fields) !== hash) {
          fail({ check: "custody.chain", subject, field: "hash", reason: "mismatch", message: `Custody event ${event.sequence} (${event.action}) does not hash to its recorded hash.` });
          broken++;
        } else if (i > 0 && events[i - 1]!.sequence + 1 === event.sequence && event.previousHash !== events[i - 1]!.hash) {
          fail({ check: "custody.chain", subject, field: "previousHash", reason: "broken_link", message: `Custody event ${event.sequence} does not name event ${event.sequence - 1}'s hash.` });
          broken++;
        } else if (i > 0 && events[i - 1]!.sequence >= event.sequence) {
          fail({ check: "custody.chain", subject, field: "sequence", reason: "out_of_order", message: `Custody event ${event.sequence} comes after event ${events[i - 1]!.sequence}.` });
          broken++;
        }
      }
      // Complete: it ends with this export's own event and names the sealing of every version.
      const last = events.at(-1);
      if (statement && !(last && last.action === "evidence.exported" && last.requestId === statement.statement.exportId && last.sha256 === manifestSha)) {
        fail({ check: "custody.chain", subject: BUNDLE_FILES.custody, reason: "no_export_event", message: `The custody record does not end with this export's own evidence.exported event (export ${statement.statement.exportId}).` });
        broken++;
      }
      for (const [v, { sha256 }] of versions) {
        if (!events.some((e) => e.action === "manifest.sealed" && e.sha256 === sha256)) {
          fail({ check: "custody.chain", subject: `version ${v}`, reason: "missing_sealing", message: `The custody record has no manifest.sealed event for version ${v} (${sha256}).` });
          broken++;
        }
      }
      if (broken === 0) pass({ check: "custody.chain", subject: BUNDLE_FILES.custody, message: `${events.length} custody events, each hashing to itself, linked where consecutive, naming every version's sealing and ending with this export.` });
    }
  }

  const anchors: VerificationReport["anchors"] = proof
    ? {
        versions: proof.versions.map((v) => ({ version: v.version, manifestSha256: v.manifestSha256, leafIndex: v.leafIndex })),
        statement: statement ? { sha256: statement.sha256, leafIndex: proof.export.leafIndex, exportId: statement.statement.exportId } : null,
        custody: custodyEventsSeen.map((e) => ({ sequence: e.sequence, hash: e.hash })),
      }
    : null;
  return report({ manifest: summary, log: head && proof ? { treeSize: head.treeSize, leafIndex: proof.leafIndex, rootHash: head.rootHash } : null, timestamp, anchors });
}

/** The fields a tombstone must share with the artifact entry of the version that listed it. */
export const TOMBSTONE_MATCHED_FIELDS = ["kind", "id", "sha256", "sha512", "bytes", "mediaType", "location", "language"] as const;

/**
 * Tombstones (docs/adr/0037). Each of the manifest's `deleted[]` entries must be backed by the
 * sealed version it names (`listedIn`): that version is in the bundle, hashes to
 * `listedIn.manifestSha256`, and lists an artifact equal to the entry in every
 * `TOMBSTONE_MATCHED_FIELDS` member (compared as canonical JSON); the artifact is not listed
 * again in this manifest; it was deleted after that version was issued and no later than this
 * one. And no version may drop a tombstone an earlier version carried: every `deleted[]` entry
 * of version n is in version n+1's, unchanged. An artifact that leaves the manifest without a
 * tombstone is no tombstone's business: the export statement's inventory still requires the
 * files the latest version lists, so trimming one fails `bundle.inventory` and `artifact.present`.
 */
function checkTombstones(
  manifest: Manifest,
  versions: Map<number, { manifest: Manifest; sha256: string }>,
  { pass, fail }: { pass: (c: Omit<VerificationCheck, "ok">) => void; fail: (c: Omit<VerificationCheck, "ok">) => void },
): void {
  for (const entry of manifest.deleted ?? []) {
    const subject = `tombstone ${entry.kind} ${entry.id}`;
    const listing = versions.get(entry.listedIn.version);
    if (entry.listedIn.version >= manifest.version) {
      fail({ check: "tombstone.listed", subject, field: "listedIn.version", reason: "not_earlier", message: `The tombstone names version ${entry.listedIn.version}, which is not earlier than this version ${manifest.version}.` });
      continue;
    }
    if (!listing) {
      fail({ check: "tombstone.listed", subject, field: "listedIn.version", reason: "missing_version", message: `Version ${entry.listedIn.version}, which the tombstone says listed the artifact, is not in the bundle or does not verify.` });
      continue;
    }
    if (listing.sha256 !== entry.listedIn.manifestSha256) {
      fail({ check: "tombstone.listed", subject, field: "listedIn.manifestSha256", reason: "mismatch", message: `Version ${entry.listedIn.version} hashes to ${listing.sha256}; the tombstone names ${entry.listedIn.manifestSha256}.` });
      continue;
    }
    const listed = listing.manifest.artifacts.find((a) => a.id === entry.id && a.kind === entry.kind);
    const differs = listed ? TOMBSTONE_MATCHED_FIELDS.find((f) => canonicalJson(listed[f]) !== canonicalJson(entry[f])) : "id";
    if (differs) {
      fail({ check: "tombstone.listed", subject, field: differs, reason: listed ? "mismatch" : "not_listed", message: listed ? `The tombstone's ${differs} differs from version ${entry.listedIn.version}'s artifact entry.` : `Version ${entry.listedIn.version} lists no ${entry.kind} ${entry.id}.` });
      continue;
    }
    if (manifest.artifacts.some((a) => a.id === entry.id)) {
      fail({ check: "tombstone.listed", subject, field: "artifacts", reason: "still_listed", message: `The manifest lists ${entry.kind} ${entry.id} both as an artifact and as deleted.` });
      continue;
    }
    if (Date.parse(entry.deletedAt) < Date.parse(listing.manifest.issuedAt) || Date.parse(entry.deletedAt) > Date.parse(manifest.issuedAt)) {
      fail({ check: "tombstone.listed", subject, field: "deletedAt", reason: "out_of_order", message: `Deleted at ${entry.deletedAt}, which is not between version ${entry.listedIn.version}'s issue (${listing.manifest.issuedAt}) and this version's (${manifest.issuedAt}).` });
      continue;
    }
    const why = entry.reason === "retention_policy" ? `retention policy (${entry.policy?.kind}: ${entry.policy?.keepDays} days)` : `erasure request ${entry.erasureRequestId}`;
    pass({ check: "tombstone.listed", subject, message: `Listed with these hashes by version ${entry.listedIn.version} (issued ${listing.manifest.issuedAt}); deleted ${entry.deletedAt} by ${why}.` });
  }
  for (let v = 2; v <= manifest.version; v++) {
    const previous = versions.get(v - 1)?.manifest;
    const current = versions.get(v)?.manifest;
    if (!previous || !current) continue;
    const kept = new Set((current.deleted ?? []).map((d) => canonicalJson(d)));
    const dropped = (previous.deleted ?? []).filter((d) => !kept.has(canonicalJson(d)));
    if (dropped.length > 0) fail({ check: "tombstone.kept", subject: `version ${v}`, field: "deleted", reason: "dropped", message: `Version ${v} drops or changes ${dropped.length} tombstone(s) of version ${v - 1} (${dropped.map((d) => `${d.kind} ${d.id}`).join(", ")}).` });
    else if ((previous.deleted ?? []).length > 0) pass({ check: "tombstone.kept", subject: `version ${v}`, message: `Version ${v} keeps every tombstone of version ${v - 1}.` });
  }
}

/** A manifest JWS on its own (the verify API's text input): signature and schema only. */
export async function verifyManifestJws(jws: string, keys: JSONWebKeySet): Promise<VerificationReport> {
  return verifyBundle(
    {
      names: () => [BUNDLE_FILES.manifestJws, BUNDLE_FILES.jwks],
      read: async (name) => (name === BUNDLE_FILES.manifestJws ? new TextEncoder().encode(jws) : undefined),
      stream: async () => undefined,
    },
    { jwks: keys },
  ).then((r) => {
    // Only the manifest's own checks apply; the files a bundle would add are not expected.
    const checks = r.checks.filter((c) => c.check.startsWith("manifest.") && c.check !== "manifest.json");
    const failures = checks.filter((c) => !c.ok);
    const ok = failures.length === 0 && r.manifest !== null;
    return { ...r, checks, failures, ok, verdict: verdictOf(ok, r.trust) };
  });
}

/** A human summary: the verdict in words, then one line per check, failures first. */
export function formatReport(report: VerificationReport): string {
  const line = (c: VerificationCheck) => `${c.ok ? "PASS" : "FAIL"}  ${c.check.padEnd(20)} ${c.subject}${c.field ? ` [${c.field}]` : ""}: ${c.message}`;
  const head =
    report.verdict === "verified"
      ? "VERIFIED: every check passed, against the keys and TSA certificates you pinned."
      : report.verdict === "self_consistent"
        ? `SELF-CONSISTENT ONLY: every check passed, but against ${untrusted(report.trust)} the bundle carries itself. That shows the bundle is intact, not who made it: anyone can build one with their own key and TSA. Pin the issuer's published keys (--jwks) and TSA certificate (--tsa-cert) to verify its origin.`
        : `NOT VERIFIED: ${report.failures.length} check(s) failed.`;
  return [head, ...report.failures.map(line), ...report.checks.filter((c) => c.ok).map(line)].join("\n");
}

/** Which trust anchors came from the bundle, in words. */
export function untrusted(trust: VerificationReport["trust"]): string {
  const own = [trust.jwks === "bundle" ? "the keys (jwks.json)" : null, trust.tsa === "bundle" ? "the TSA certificate (tsa.pem)" : null].filter(Boolean);
  return own.join(" and ");
}

function differingField(given: unknown, signed: unknown, path = ""): string | undefined {
  if (canonicalJson(given ?? null) === canonicalJson(signed ?? null)) return undefined;
  if (given && signed && typeof given === "object" && typeof signed === "object" && Array.isArray(given) === Array.isArray(signed)) {
    const keys = new Set([...Object.keys(given), ...Object.keys(signed)]);
    for (const key of [...keys].sort()) {
      const found = differingField((given as Record<string, unknown>)[key], (signed as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return path || "(the whole manifest)";
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
