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

/**
 * A call's sealed versions as its timeline shows them: version, hash, when sealed and the leaf
 * of the organization's log it became (null until logged). One statement; read under RLS, so
 * only members who may export evidence see any.
 */
export async function manifestVersionsOfCall(
  tx: Tx,
  { orgId, callId }: { orgId: string; callId: string },
): Promise<Array<{ version: number; sha256: string; issuedAt: string; logIndex: number | null }>> {
  const rows = await tx<Array<{ version: number; sha256: string; issuedAt: string; logIndex: string | null }>>`
    select m.version, m.manifest_sha256 as sha256, to_json(m.sealed_at) #>> '{}' as "issuedAt", e.leaf_index::text as "logIndex"
    from public.evidence_manifests m
    left join public.evidence_log_entries e on e.manifest_id = m.id and e.organization_id = m.organization_id
    where m.organization_id = ${orgId} and m.call_id = ${callId}
    order by m.version`;
  return rows.map((r) => ({ ...r, logIndex: r.logIndex === null ? null : Number(r.logIndex) }));
}
