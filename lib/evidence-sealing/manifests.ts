import "server-only";
import type { Tx } from "@/lib/db";
import type { Manifest } from "@/lib/evidence/manifest";
import { openNumbers, sealNumber } from "@/lib/pii/numbers";
import { detachedJws, reconstitute, StoredManifestError, withoutNumbers } from "@/lib/evidence-sealing/stored-manifest";

/**
 * `evidence_manifests`: the one writer, and its reads. Insert-only; the table's triggers refuse
 * any update or delete and a version that does not follow the call's latest one.
 *
 * A version is stored without its phone numbers (docs/adr/0044): the manifest with references
 * in their place and the JWS detached, the numbers sealed beside it in
 * private.evidence_manifest_numbers. Every read here returns the signed manifest and compact
 * JWS, put back together and checked against manifest_sha256 (stored-manifest.ts).
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

const FIELD = "evidence_manifests.numbers";

/** A row as stored: the manifest with references, the JWS detached, and its sealed numbers (null when it has no row of them). */
type StoredRow = ManifestRow & { numbers: string[] | null };

const columns = (tx: Tx) => tx`
  id, organization_id as "organizationId", call_id as "callId", version, manifest, manifest_sha256 as "manifestSha256", jws, kid,
  previous_sha256 as "previousSha256", supersedes, to_json(sealed_at) #>> '{}' as "sealedAt",
  private.evidence_manifest_numbers_of(organization_id, id) as numbers`;

/** A stored row with its manifest and JWS as signed. */
type Signed<T> = Omit<T, "numbers" | "manifest"> & { manifest: Manifest };

/**
 * Stored rows as signed: each one's numbers opened and put back, its bytes checked against its
 * hash and its JWS re-attached. A number that does not open, or bytes that do not hash to
 * manifest_sha256, throw StoredManifestError naming the version.
 */
export async function readStoredManifests<T extends { id: string; organizationId: string; manifest: unknown; jws: string; manifestSha256: string; numbers: string[] | null }>(
  tx: Tx,
  rows: T[],
): Promise<Array<Signed<T>>> {
  const out: Array<Signed<T>> = [];
  for (const { numbers, ...row } of rows) {
    let opened: string[];
    try {
      opened = await openNumbers(tx, (numbers ?? []).map((value) => ({ orgId: row.organizationId, field: FIELD, value })));
    } catch (error) {
      throw new StoredManifestError(`Manifest ${row.id}'s numbers do not open: ${(error as Error).message}`, { cause: error });
    }
    out.push({ ...row, ...reconstitute(row, opened) } as Signed<T>);
  }
  return out;
}

export async function latestManifest(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<ManifestRow | undefined> {
  const rows = await tx<StoredRow[]>`
    select ${columns(tx)} from public.evidence_manifests
    where organization_id = ${orgId} and call_id = ${callId} order by version desc limit 1`;
  return (await readStoredManifests(tx, rows))[0];
}

/** Every version of a call's manifest, oldest first. */
export async function manifestsOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<ManifestRow[]> {
  const rows = await tx<StoredRow[]>`
    select ${columns(tx)} from public.evidence_manifests
    where organization_id = ${orgId} and call_id = ${callId} order by version`;
  return readStoredManifests(tx, rows);
}

/**
 * Inserts a sealed version in its stored form, and its numbers, each sealed under the
 * organization's current data key, in the caller's (service) transaction.
 */
export async function insertManifest(
  tx: Tx,
  m: { orgId: string; callId: string; manifest: Manifest; manifestSha256: string; jws: string; kid: string; supersedes: string | null },
): Promise<{ id: string }> {
  const { stored, numbers } = withoutNumbers(m.manifest);
  const sealed: string[] = [];
  for (const n of numbers) sealed.push(await sealNumber(tx, m.orgId, FIELD, n));
  const [row] = await tx<{ id: string }[]>`
    insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid, previous_sha256, supersedes)
    values (${m.orgId}, ${m.callId}, ${m.manifest.version}, ${tx.json(stored as never)}, ${m.manifestSha256}, ${detachedJws(m.jws)}, ${m.kid},
            ${m.manifest.previousSha256}, ${m.supersedes})
    returning id`;
  await tx`
    insert into private.evidence_manifest_numbers (manifest_id, organization_id, numbers)
    values (${row!.id}, ${m.orgId}, ${sealed}::text[])`;
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
