import "server-only";
import { Readable } from "node:stream";
import yazl from "yazl";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { artifactFileName, BUNDLE_FILES, PROOF_FORMAT, verifyInstructions, versionFileName, type BundleProof, type CustodyFile } from "@/lib/evidence/bundle";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { jwks } from "@/lib/evidence/keys";
import type { ManifestArtifact } from "@/lib/evidence/manifest";
import { consistencyProof, inclusionProof } from "@/lib/evidence/merkle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent, appendCustodyEventOnce, custodyEventsOfCall } from "@/lib/evidence-sealing/custody";
import { leafOfManifest, logReader, treeHeadOfSize } from "@/lib/evidence-sealing/log";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { surveyAnswerFacts } from "@/lib/evidence-sealing/seal-call";
import { storage } from "@/lib/storage";

/**
 * A call's evidence bundle (docs/adr/0017, layout in lib/evidence/bundle.ts) as a streamed ZIP.
 *
 * Everything small is read in the caller's transaction (as the member: RLS applies): the
 * versions, their leaves and inclusion proofs against the head signed with the latest version,
 * a consistency proof from an earlier head, JSON artifacts as canonical JSON, the custody
 * events. The export is recorded in the custody chain (a service write, committed before a byte
 * is sent) and the bundle carries that event. Media bytes are never buffered: yazl pulls each
 * stored object through `storage().open` only when the ZIP stream reaches it, after the
 * transaction has ended, at the pace the client reads.
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

  const reader = logReader(tx, orgId);
  const leaves = await Promise.all(versions.map((v) => leafOfManifest(tx, { orgId, manifestId: v.id })));
  const latestLeaf = leaves.at(-1);
  if (!latestLeaf || leaves.some((l) => !l)) throw new ConflictError("This call's latest manifest is not in the log yet. Try again shortly.", "not_logged");
  const treeSize = latestLeaf.leafIndex + 1;
  const head = await treeHeadOfSize(tx, { orgId, treeSize });
  if (!head) throw new ConflictError("The log has no signed head for this call's latest manifest yet. Try again shortly.", "not_logged");
  const hex = (proof: Uint8Array[]) => proof.map((h) => Buffer.from(h).toString("hex"));
  const proofVersions = await Promise.all(
    versions.map(async (v, i) => ({ version: v.version, manifestSha256: v.manifestSha256, leafIndex: leaves[i]!.leafIndex, inclusionProof: hex(await inclusionProof(reader, leaves[i]!.leafIndex, treeSize)) })),
  );
  // The head signed with the first version shows the log only grew since; when the call has one
  // version, the head before it does the same for the log as a whole.
  const fromSize = leaves[0]!.leafIndex + 1 < treeSize ? leaves[0]!.leafIndex + 1 : treeSize - 1;
  const from = fromSize >= 1 ? await treeHeadOfSize(tx, { orgId, treeSize: fromSize }) : undefined;
  const proof: BundleProof = {
    format: PROOF_FORMAT,
    log: orgId,
    treeSize,
    leafIndex: latestLeaf.leafIndex,
    inclusionProof: proofVersions.at(-1)!.inclusionProof,
    versions: proofVersions,
    consistency: from ? { fromTreeHead: from.jws, fromTreeSize: fromSize, proof: hex(await consistencyProof(reader, fromSize, treeSize)) } : null,
  };
  const jsonBodies = await jsonArtifactBytes(tx, { orgId, callId, artifacts: latest.manifest.artifacts });
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);

  const event = { orgId, actorUserId: args.actorUserId, action: "evidence.exported", callId, manifestId: latest.id, sha256: latest.manifestSha256, requestId: args.requestId } as const;
  await asService((service) => (args.custody === "once" ? appendCustodyEventOnce(service, event) : appendCustodyEvent(service, event)));
  const custody: CustodyFile = { organizationId: orgId, callId, events: await custodyEventsOfCall(tx, { orgId, callId }) };

  const zip = new yazl.ZipFile();
  // A stored object that cannot be opened fails the ZIP; end its stream with that error so a
  // reader (the client, or a bulk export's archive) stops instead of waiting for ever.
  zip.on("error", (error: Error) => (zip.outputStream as Readable).destroy(error));
  const text = (name: string, value: string) => zip.addBuffer(Buffer.from(value, "utf8"), name, { compress: true });
  text(BUNDLE_FILES.manifest, canonicalJson(latest.manifest));
  text(BUNDLE_FILES.manifestJws, latest.jws);
  for (const v of versions.slice(0, -1)) text(versionFileName(v.version), v.jws);
  for (const artifact of latest.manifest.artifacts) {
    const name = artifactFileName(artifact);
    if (artifact.location.store === "object") {
      const path = artifact.location.path;
      // Stored, not deflated: audio does not compress, and the bytes pass through untouched.
      zip.addReadStreamLazy(name, { compress: false, size: artifact.bytes }, (done) => {
        storage().open(path).then((stream) => done(null, stream as NodeJS.ReadableStream & Readable), (error: Error) => done(error, undefined as never));
      });
    } else {
      zip.addBuffer(jsonBodies.get(artifact.id) ?? Buffer.alloc(0), name, { compress: true });
    }
  }
  text(BUNDLE_FILES.proof, `${JSON.stringify(proof, null, 2)}\n`);
  text(BUNDLE_FILES.treeHead, head.jws);
  zip.addBuffer(Buffer.from(head.timestampToken), BUNDLE_FILES.timestamp, { compress: false });
  text(BUNDLE_FILES.tsa, tsa.trustedCertificates.join("\n"));
  text(BUNDLE_FILES.jwks, `${JSON.stringify(jwks(keyring), null, 2)}\n`);
  text(BUNDLE_FILES.custody, `${JSON.stringify(custody, null, 2)}\n`);
  text(BUNDLE_FILES.readme, verifyInstructions({ callId, version: latest.version, artifacts: latest.manifest.artifacts, issuer: latest.manifest.issuer }));
  zip.end();

  return {
    fileName: `verbatim-evidence-${callId}-v${latest.version}.zip`,
    manifestSha256: latest.manifestSha256,
    version: latest.version,
    body: Readable.toWeb(zip.outputStream as Readable) as ReadableStream<Uint8Array>,
  };
}

/** The canonical JSON bytes of a manifest's database-held artifacts, by artifact id. */
async function jsonArtifactBytes(tx: Tx, { orgId, callId, artifacts }: { orgId: string; callId: string; artifacts: ManifestArtifact[] }): Promise<Map<string, Buffer>> {
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
