import "server-only";
import { Readable } from "node:stream";
import yazl from "yazl";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { config } from "@/lib/config";
import {
  artifactFileName,
  BUNDLE_FILES,
  citedDocuments,
  documentFileName,
  PROOF_FORMAT,
  verifyInstructions,
  versionFileName,
  type BundleProof,
  type CustodyFile,
} from "@/lib/evidence/bundle";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { EXPORT_FORMAT, signExportStatement, sortedFiles, type ExportFile, type ExportStatement } from "@/lib/evidence/export-statement";
import { jwks } from "@/lib/evidence-sealing/keys";
import { sha256HexOf, sha512HexOf, type ManifestArtifact } from "@/lib/evidence/manifest";
import { consistencyProof, inclusionProof } from "@/lib/evidence/merkle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent, appendCustodyEventOnce, custodyEventsOfCall } from "@/lib/evidence-sealing/custody";
import { appendAndSignHead, insertExportStatement, leafOfManifest, lockLog, logReader, treeHeadOfSize } from "@/lib/evidence-sealing/merkle-log";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { surveyAnswerFacts } from "@/lib/evidence-sealing/seal-call";
import { storage } from "@/lib/storage";
import { buildVcon, VCON_FILE, vconBytes } from "@/lib/evidence/vcon";

/**
 * A call's evidence bundle (docs/adr/0017, 0025; layout in lib/evidence/bundle.ts) as a streamed ZIP.
 *
 * Everything small is read in the caller's transaction (as the member: RLS applies): the
 * versions and their leaves, JSON artifacts as canonical JSON, the documents the artifacts cite
 * by hash. Then one service transaction, under the log lock, anchors the export: it records the
 * export in the custody chain, signs the export statement (every file of the bundle with its size
 * and hashes, custody.json among them: the call's events up to this export's own), appends the
 * statement to the organization's log, signs and timestamps the new head, and computes every
 * proof against that head. It commits before a byte is sent. Media bytes are never buffered:
 * yazl pulls each stored object through `storage().open` only when the ZIP stream reaches it,
 * after the transactions have ended, at the pace the client reads; the statement lists them
 * with the hashes the manifest sealed.
 */
export interface EvidenceExport {
  fileName: string;
  manifestSha256: string;
  version: number;
  body: ReadableStream<Uint8Array>;
}

export async function exportEvidence(
  tx: Tx,
  args: {
    orgId: string;
    callId: string;
    actorUserId: string;
    requestId: string;
    /** "once": one custody event per (request, call), for a bulk export's retried job. Default: every export is one. */
    custody?: "always" | "once";
  },
): Promise<EvidenceExport> {
  const { orgId, callId } = args;
  const [call] = await tx<{ id: string }[]>`select id from public.calls where organization_id = ${orgId} and id = ${callId}`;
  if (!call) throw new NotFoundError("No such call in this organization.");
  const versions = await manifestsOfCall(tx, { orgId, callId });
  const latest = versions.at(-1);
  if (!latest) throw new ConflictError("This call has no sealed manifest yet: evidence is sealed a few seconds after a call ends. Try again shortly.", "not_sealed");
  const leaves = await Promise.all(versions.map((v) => leafOfManifest(tx, { orgId, manifestId: v.id })));
  if (leaves.some((l) => !l)) throw new ConflictError("This call's latest manifest is not in the log yet. Try again shortly.", "not_logged");

  const artifacts = latest.manifest.artifacts;
  const jsonBodies = await jsonArtifactBytes(tx, { orgId, callId, artifacts });
  const documents = await documentBytes(tx, { orgId, sha256s: citedDocuments(artifacts) });
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);

  // Every file but custody.json and the five made from the statement, in the order they are zipped.
  const listed = new Map<string, Buffer>();
  const utf8 = (value: string) => Buffer.from(value, "utf8");
  listed.set(BUNDLE_FILES.manifest, utf8(canonicalJson(latest.manifest)));
  listed.set(BUNDLE_FILES.manifestJws, utf8(latest.jws));
  for (const v of versions.slice(0, -1)) listed.set(versionFileName(v.version), utf8(v.jws));
  const media: Array<{ name: string; path: string; artifact: ManifestArtifact }> = [];
  for (const artifact of artifacts) {
    if (artifact.location.store === "object") media.push({ name: artifactFileName(artifact), path: artifact.location.path, artifact });
    else listed.set(artifactFileName(artifact), jsonBodies.get(artifact.id) ?? Buffer.alloc(0));
  }
  for (const [sha256, bytes] of documents) listed.set(documentFileName(sha256), bytes);
  listed.set(BUNDLE_FILES.jwks, utf8(`${JSON.stringify(jwks(keyring), null, 2)}\n`));
  listed.set(BUNDLE_FILES.tsa, utf8(tsa.trustedCertificates.join("\n")));
  listed.set(BUNDLE_FILES.readme, utf8(verifyInstructions({ callId, version: latest.version, issuer: config().publicBaseUrl })));
  // The call as a vCon (docs/adr/0038), made from the same manifest and bodies; listed, so signed.
  const vcon = buildVcon({ manifest: latest.manifest, manifestJws: latest.jws, bodies: parsedBodies(jsonBodies), form: "original" });
  listed.set(VCON_FILE, utf8(vconBytes(vcon)));

  const anchored = await asService(async (service) => {
    await lockLog(service, orgId);
    const event = { orgId, actorUserId: args.actorUserId, action: "evidence.exported", callId, manifestId: latest.id, sha256: latest.manifestSha256, requestId: args.requestId } as const;
    const exported = await (args.custody === "once" ? appendCustodyEventOnce(service, event) : appendCustodyEvent(service, event));
    const custody: CustodyFile = { organizationId: orgId, callId, events: (await custodyEventsOfCall(service, { orgId, callId })).filter((e) => e.sequence <= exported.sequence) };
    const custodyBytes = utf8(`${JSON.stringify(custody, null, 2)}\n`);

    const files: ExportFile[] = [...listed, [BUNDLE_FILES.custody, custodyBytes] as const].map(([name, bytes]) => ({ name, bytes: bytes.length, sha256: sha256HexOf(bytes), sha512: sha512HexOf(bytes) }));
    for (const m of media) files.push({ name: m.name, bytes: m.artifact.bytes, sha256: m.artifact.sha256, sha512: m.artifact.sha512 });
    const statement: ExportStatement = {
      format: EXPORT_FORMAT,
      issuer: config().publicBaseUrl,
      kid: keyring.signing.kid,
      organizationId: orgId,
      callId,
      exportId: args.requestId,
      exportedAt: new Date().toISOString(),
      manifest: { version: latest.version, sha256: latest.manifestSha256 },
      files: sortedFiles(files),
    };
    const statementJws = await signExportStatement(statement, keyring.signing);
    const statementJson = canonicalJson(statement);
    const statementSha256 = sha256HexOf(statementJson);
    const { id } = await insertExportStatement(service, { orgId, callId, exportId: args.requestId, custodySequence: exported.sequence, jws: statementJws, statementSha256 });
    const head = await appendAndSignHead(service, { orgId, source: { exportStatementId: id, jws: statementJws }, keyring, tsa });

    const reader = logReader(service, orgId);
    const hex = (proof: Uint8Array[]) => proof.map((h) => Buffer.from(h).toString("hex"));
    const proofVersions = await Promise.all(
      versions.map(async (v, i) => ({ version: v.version, manifestSha256: v.manifestSha256, leafIndex: leaves[i]!.leafIndex, inclusionProof: hex(await inclusionProof(reader, leaves[i]!.leafIndex, head.treeSize)) })),
    );
    // The head signed with the first version shows the log only grew since (every size has a head).
    const fromSize = leaves[0]!.leafIndex + 1;
    const from = await treeHeadOfSize(service, { orgId, treeSize: fromSize });
    if (!from) throw new ConflictError("The log has no signed head for this call's first manifest. Run `npm run verify -- --log` on this organization.", "not_logged");
    const proof: BundleProof = {
      format: PROOF_FORMAT,
      log: orgId,
      treeSize: head.treeSize,
      leafIndex: proofVersions.at(-1)!.leafIndex,
      inclusionProof: proofVersions.at(-1)!.inclusionProof,
      versions: proofVersions,
      export: { statementSha256, leafIndex: head.leafIndex, inclusionProof: hex(await inclusionProof(reader, head.leafIndex, head.treeSize)) },
      consistency: { fromTreeHead: from.jws, fromTreeSize: fromSize, proof: hex(await consistencyProof(reader, fromSize, head.treeSize)) },
    };
    return { custodyBytes, statementJson, statementJws, proof, head };
  });

  const zip = new yazl.ZipFile();
  // A stored object that cannot be opened fails the ZIP; end its stream with that error so a
  // reader (the client, or a bulk export's archive) stops instead of waiting for ever.
  zip.on("error", (error: Error) => (zip.outputStream as Readable).destroy(error));
  for (const [name, bytes] of listed) zip.addBuffer(bytes, name, { compress: true });
  for (const m of media) {
    // Stored, not deflated: audio does not compress, and the bytes pass through untouched.
    zip.addReadStreamLazy(m.name, { compress: false, size: m.artifact.bytes }, (done) => {
      storage().open(m.path).then((stream) => done(null, stream as NodeJS.ReadableStream & Readable), (error: Error) => done(error, undefined as never));
    });
  }
  zip.addBuffer(anchored.custodyBytes, BUNDLE_FILES.custody, { compress: true });
  zip.addBuffer(utf8(anchored.statementJson), BUNDLE_FILES.exportStatement, { compress: true });
  zip.addBuffer(utf8(anchored.statementJws), BUNDLE_FILES.exportJws, { compress: true });
  zip.addBuffer(utf8(`${JSON.stringify(anchored.proof, null, 2)}\n`), BUNDLE_FILES.proof, { compress: true });
  zip.addBuffer(utf8(anchored.head.headJws), BUNDLE_FILES.treeHead, { compress: true });
  zip.addBuffer(Buffer.from(anchored.head.timestampToken), BUNDLE_FILES.timestamp, { compress: false });
  zip.end();

  return {
    fileName: `verbatim-evidence-${callId}-v${latest.version}.zip`,
    manifestSha256: latest.manifestSha256,
    version: latest.version,
    body: Readable.toWeb(zip.outputStream as Readable) as ReadableStream<Uint8Array>,
  };
}

/**
 * The documents the artifacts cite by hash, as the canonical JSON each hash is taken over: shopper
 * script versions (a score's rubric) and survey versions of this organization. A hash that no
 * stored version has is left out, and the verifier reports the document missing.
 */
async function documentBytes(tx: Tx, { orgId, sha256s }: { orgId: string; sha256s: string[] }): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (sha256s.length === 0) return found;
  const rows = await tx<{ sha256: string; document: Record<string, unknown> }[]>`
    select sha256, document from public.shopper_script_versions where organization_id = ${orgId} and sha256 in ${tx(sha256s)}
    union all
    select sha256, document from public.survey_versions where organization_id = ${orgId} and sha256 in ${tx(sha256s)}`;
  for (const row of rows) {
    const { sha256: _own, ...document } = row.document;
    const bytes = Buffer.from(canonicalJson(document), "utf8");
    if (sha256HexOf(bytes) === row.sha256) found.set(row.sha256, bytes);
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** JSON artifacts' values from their canonical JSON bytes (as a vCon's analysis bodies). */
export function parsedBodies(bytes: ReadonlyMap<string, Buffer>): Map<string, unknown> {
  return new Map([...bytes].map(([id, b]) => [id, JSON.parse(b.toString("utf8")) as unknown]));
}

/** The canonical JSON bytes of a manifest's database-held artifacts, by artifact id. */
export async function jsonArtifactBytes(tx: Tx, { orgId, callId, artifacts }: { orgId: string; callId: string; artifacts: ManifestArtifact[] }): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  const rowIds = artifacts.flatMap((a) => (a.location.store === "database" && a.location.table === "call_artifacts" ? [a.location.id] : []));
  if (rowIds.length > 0) {
    const rows = await tx<{ id: string; body: unknown }[]>`
      select id, body from public.call_artifacts where organization_id = ${orgId} and call_id = ${callId} and id in ${tx(rowIds)}`;
    for (const row of rows) bytes.set(row.id, Buffer.from(canonicalJson(row.body), "utf8"));
  }
  if (artifacts.some((a) => a.location.store === "database" && a.location.table === "survey_answers")) {
    for (const answer of await surveyAnswerFacts(tx, { orgId, callId })) bytes.set(answer.id, Buffer.from(canonicalJson(answer.document), "utf8"));
  }
  return bytes;
}
