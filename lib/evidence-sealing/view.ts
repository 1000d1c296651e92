import "server-only";
import { asService, type Tx } from "@/lib/db";
import { appendCustodyEvent, custodyEventsOfCall } from "@/lib/evidence-sealing/custody";
import { leafOfManifest, treeHeads } from "@/lib/evidence-sealing/merkle-log";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { NotFoundError } from "@/lib/errors";
import { callExists } from "@/lib/calls/queries";
import { isUuid } from "@/lib/pg-safe";

/**
 * What the page shows of a call's evidence (owners, admins, analysts): every manifest version
 * with its hash and place in the organization's log, the latest signed head that covers them
 * with its timestamp, and the call's custody record. Read as the member (RLS on); the view
 * itself is recorded (as the service, the custody chain's only writer path) before the record
 * is read, so it shows itself.
 */
export interface EvidenceView {
  versions: Array<{ version: number; manifestSha256: string; previousSha256: string | null; sealedAt: string; kid: string; leafIndex: number | null; jws: string; missing: number }>;
  head: { treeSize: number; rootHash: string; timestampedAt: string; tsa: string } | null;
  custody: Array<{ sequence: number; action: string; actorUserId: string | null; sha256: string | null; requestId: string | null; occurredAt: string; hash: string }>;
}

/** Every read of it that shows a sealed version is a custody event (`evidence.viewed`). */
export async function evidenceOfCall(
  tx: Tx,
  { orgId, callId, actorUserId, requestId }: { orgId: string; callId: string; actorUserId: string; requestId: string },
): Promise<EvidenceView> {
  if (!isUuid(callId) || !(await callExists(tx, { orgId, callId }))) {
    throw new NotFoundError("Call not found.");
  }
  const [manifests, heads] = await Promise.all([manifestsOfCall(tx, { orgId, callId }), treeHeads(tx, orgId)]);
  const latest = manifests.at(-1);
  if (latest) {
    await asService((service) =>
      appendCustodyEvent(service, { orgId, actorUserId, action: "evidence.viewed", callId, manifestId: latest.id, sha256: latest.manifestSha256, requestId }),
    );
  }
  const [leaves, custody] = await Promise.all([
    Promise.all(manifests.map((m) => leafOfManifest(tx, { orgId, manifestId: m.id }))),
    custodyEventsOfCall(tx, { orgId, callId }),
  ]);
  const head = heads.at(-1);
  return {
    versions: manifests.map((m, i) => ({
      version: m.version, manifestSha256: m.manifestSha256, previousSha256: m.previousSha256, sealedAt: m.sealedAt, kid: m.kid,
      leafIndex: leaves[i]?.leafIndex ?? null, jws: m.jws, missing: m.manifest.missing.length,
    })),
    head: head ? { treeSize: head.treeSize, rootHash: Buffer.from(head.rootHash).toString("hex"), timestampedAt: head.timestampedAt, tsa: head.tsaName } : null,
    custody: custody.map((c) => ({ sequence: c.sequence, action: c.action, actorUserId: c.actorUserId, sha256: c.sha256, requestId: c.requestId, occurredAt: c.occurredAt, hash: c.hash })),
  };
}
