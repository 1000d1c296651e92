import "server-only";
import type { Tx } from "@/lib/db";
import type { Manifest } from "@/lib/evidence/manifest";

/**
 * `evidence_manifests`: the one writer, and its reads. Insert-only; the table's triggers refuse
 * any update or delete and a version that does not follow the call's latest one.
 */
export interface ManifestRow {
  id: string;
  organizationId: string;
  callId: string;
  version: number;
  manifest: Manifest;
  manifestSha256: string;
  jws: string;
  kid: string;
  previousSha256: string | null;
  supersedes: string | null;
  sealedAt: string;
}

const columns = (tx: Tx) => tx`
  id, organization_id as "organizationId", call_id as "callId", version, manifest, manifest_sha256 as "manifestSha256", jws, kid,
  previous_sha256 as "previousSha256", supersedes, to_json(sealed_at) #>> '{}' as "sealedAt"`;

export async function latestManifest(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<ManifestRow | undefined> {
  const [row] = await tx<ManifestRow[]>`
    select ${columns(tx)} from public.evidence_manifests
    where organization_id = ${orgId} and call_id = ${callId} order by version desc limit 1`;
  return row;
}

/** Every version of a call's manifest, oldest first. */
export async function manifestsOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<ManifestRow[]> {
  return tx<ManifestRow[]>`
    select ${columns(tx)} from public.evidence_manifests
    where organization_id = ${orgId} and call_id = ${callId} order by version`;
}

export async function insertManifest(
  tx: Tx,
  m: { orgId: string; callId: string; manifest: Manifest; manifestSha256: string; jws: string; kid: string; supersedes: string | null },
): Promise<{ id: string }> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid, previous_sha256, supersedes)
    values (${m.orgId}, ${m.callId}, ${m.manifest.version}, ${tx.json(m.manifest as never)}, ${m.manifestSha256}, ${m.jws}, ${m.kid},
            ${m.manifest.previousSha256}, ${m.supersedes})
    returning id`;
  return row!;
}
