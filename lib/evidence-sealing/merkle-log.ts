import "server-only";
import type { Tx } from "@/lib/db";
import type { EvidenceKeyring } from "@/lib/evidence-sealing/keys";
import { readStoredManifests } from "@/lib/evidence-sealing/manifests";
import { StoredManifestError } from "@/lib/evidence-sealing/stored-manifest";
import { hashLeaf, rootHash, type LeafHashReader } from "@/lib/evidence/merkle";
import { signedTreeHeadBytes, signTreeHead } from "@/lib/evidence/tree-head";
import type { TimeStampAuthority } from "@/lib/evidence-sealing/authority";

/**
 * An organization's evidence log (`evidence_log_entries`, `evidence_tree_heads`,
 * `evidence_export_statements`): the one writer, and its reads. A leaf is a sealed manifest or
 * an export statement (docs/adr/0025), SHA-256(0x00 ‖ the ASCII of its compact JWS) either way.
 * Appends are serialized per organization by `lockLog`, a transaction-scoped advisory lock that
 * every append takes first; the insert trigger refuses a gap in leaf indexes anyway.
 */
export async function lockLog(tx: Tx, orgId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`evidence_log:${orgId}`}, 0))`;
}

/** How many leaves the organization's log has. Call under `lockLog` when about to append. */
export async function logSize(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx<{ size: string }[]>`
    select coalesce(max(leaf_index) + 1, 0)::text as size from public.evidence_log_entries where organization_id = ${orgId}`;
  return Number(row!.size);
}

/** What a leaf commits to: a sealed manifest or an export statement, and its JWS. */
export type LeafSource = { manifestId: string; exportStatementId?: undefined; jws: string } | { exportStatementId: string; manifestId?: undefined; jws: string };

/** Appends a leaf as the next index; returns that index. Under `lockLog`. */
export async function appendLeaf(tx: Tx, { orgId, source }: { orgId: string; source: LeafSource }): Promise<number> {
  const index = await logSize(tx, orgId);
  await tx`
    insert into public.evidence_log_entries (organization_id, leaf_index, manifest_id, export_statement_id, leaf_hash)
    values (${orgId}, ${index}, ${source.manifestId ?? null}, ${source.exportStatementId ?? null}, ${Buffer.from(hashLeaf(new TextEncoder().encode(source.jws)))})`;
  return index;
}

/**
 * Appends a leaf, then signs the new head with the current key and has the TSA timestamp it
 * (the token is verified before it is stored): every size of the log has a signed, timestamped
 * head. Under `lockLog`, in the transaction that wrote what the leaf commits to.
 */
export async function appendAndSignHead(
  tx: Tx,
  { orgId, source, keyring, tsa }: { orgId: string; source: LeafSource; keyring: EvidenceKeyring; tsa: TimeStampAuthority },
): Promise<{ leafIndex: number; treeSize: number; headJws: string; timestampToken: Uint8Array }> {
  const leafIndex = await appendLeaf(tx, { orgId, source });
  const treeSize = leafIndex + 1;
  const root = await rootHash(logReader(tx, orgId), treeSize);
  const head = await signTreeHead({ log: orgId, treeSize, rootHash: Buffer.from(root).toString("hex"), timestamp: new Date().toISOString() }, keyring.signing);
  const stamp = await tsa.stamp(signedTreeHeadBytes(head.jws));
  await insertTreeHead(tx, { orgId, treeSize, rootHash: root, jws: head.jws, kid: keyring.signing.kid, timestampToken: stamp.token, tsaName: tsa.name, timestampedAt: stamp.genTime });
  return { leafIndex, treeSize, headJws: head.jws, timestampToken: stamp.token };
}

/** Records a signed export statement; its leaf is appended next (`appendAndSignHead`). Under `lockLog`. */
export async function insertExportStatement(
  tx: Tx,
  s: { orgId: string; callId: string; exportId: string; custodySequence: number; jws: string; statementSha256: string },
): Promise<{ id: string }> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.evidence_export_statements (organization_id, call_id, export_id, custody_sequence, jws, statement_sha256)
    values (${s.orgId}, ${s.callId}, ${s.exportId}, ${s.custodySequence}, ${s.jws}, ${s.statementSha256})
    returning id`;
  return row!;
}

/** The organization's leaf hashes, for RFC 9162 roots and proofs (lib/evidence/merkle.ts). */
export function logReader(tx: Tx, orgId: string): LeafHashReader {
  return {
    async leafHashes(start, end) {
      const rows = await tx<{ leafHash: Buffer }[]>`
        select leaf_hash as "leafHash" from public.evidence_log_entries
        where organization_id = ${orgId} and leaf_index >= ${start} and leaf_index < ${end} order by leaf_index`;
      return rows.map((r) => new Uint8Array(r.leafHash));
    },
  };
}

export async function insertTreeHead(
  tx: Tx,
  h: { orgId: string; treeSize: number; rootHash: Uint8Array; jws: string; kid: string; timestampToken: Uint8Array; tsaName: string; timestampedAt: Date },
): Promise<void> {
  await tx`
    insert into public.evidence_tree_heads (organization_id, tree_size, root_hash, jws, kid, timestamp_token, tsa_name, timestamped_at)
    values (${h.orgId}, ${h.treeSize}, ${Buffer.from(h.rootHash)}, ${h.jws}, ${h.kid}, ${Buffer.from(h.timestampToken)}, ${h.tsaName}, ${h.timestampedAt})`;
}

export interface TreeHeadRow {
  treeSize: number;
  rootHash: Uint8Array;
  jws: string;
  kid: string;
  timestampToken: Uint8Array;
  tsaName: string;
  timestampedAt: string;
}

/** The organization's signed heads, smallest tree first. */
export async function treeHeads(tx: Tx, orgId: string): Promise<TreeHeadRow[]> {
  const rows = await tx<(Omit<TreeHeadRow, "treeSize" | "rootHash" | "timestampToken"> & { treeSize: string; rootHash: Buffer; timestampToken: Buffer })[]>`
    select tree_size::text as "treeSize", root_hash as "rootHash", jws, kid, timestamp_token as "timestampToken", tsa_name as "tsaName",
           to_json(timestamped_at) #>> '{}' as "timestampedAt"
    from public.evidence_tree_heads where organization_id = ${orgId} order by tree_size`;
  return rows.map((r) => ({ ...r, treeSize: Number(r.treeSize), rootHash: new Uint8Array(r.rootHash), timestampToken: new Uint8Array(r.timestampToken) }));
}

/** Where a manifest sits in its organization's log. */
export async function leafOfManifest(tx: Tx, { orgId, manifestId }: { orgId: string; manifestId: string }): Promise<{ leafIndex: number; leafHash: Uint8Array } | undefined> {
  const [row] = await tx<{ leafIndex: string; leafHash: Buffer }[]>`
    select leaf_index::text as "leafIndex", leaf_hash as "leafHash" from public.evidence_log_entries
    where organization_id = ${orgId} and manifest_id = ${manifestId}`;
  return row ? { leafIndex: Number(row.leafIndex), leafHash: new Uint8Array(row.leafHash) } : undefined;
}

/** The organization's signed head of exactly `treeSize` leaves, if one was signed. */
export async function treeHeadOfSize(tx: Tx, { orgId, treeSize }: { orgId: string; treeSize: number }): Promise<TreeHeadRow | undefined> {
  const rows = await tx<(Omit<TreeHeadRow, "treeSize" | "rootHash" | "timestampToken"> & { treeSize: string; rootHash: Buffer; timestampToken: Buffer })[]>`
    select tree_size::text as "treeSize", root_hash as "rootHash", jws, kid, timestamp_token as "timestampToken", tsa_name as "tsaName",
           to_json(timestamped_at) #>> '{}' as "timestampedAt"
    from public.evidence_tree_heads where organization_id = ${orgId} and tree_size = ${treeSize}`;
  return rows.map((r) => ({ ...r, treeSize: Number(r.treeSize), rootHash: new Uint8Array(r.rootHash), timestampToken: new Uint8Array(r.timestampToken) }))[0];
}

/**
 * Every leaf of the organization's log with the JWS it commits to, in index order (the `--log`
 * check). A manifest's JWS is put back together from its stored form (readStoredManifests);
 * one that cannot be (a changed number or row) comes with `unreadable` saying why, so the
 * check reports that leaf instead of stopping.
 */
export async function logEntries(tx: Tx, orgId: string): Promise<LogEntry[]> {
  const rows = await tx<{ leafIndex: string; leafHash: Buffer; manifestId: string | null; statementId: string | null; statementJws: string | null;
                          organizationId: string; manifest: unknown; jws: string; manifestSha256: string; numbers: string[] | null }[]>`
    select e.leaf_index::text as "leafIndex", e.leaf_hash as "leafHash", e.manifest_id as "manifestId", e.export_statement_id as "statementId",
           s.jws as "statementJws", e.organization_id as "organizationId", m.manifest, m.jws, m.manifest_sha256 as "manifestSha256",
           case when m.id is not null then private.evidence_manifest_numbers_of(m.organization_id, m.id) end as numbers
    from public.evidence_log_entries e
    left join public.evidence_manifests m on m.id = e.manifest_id
    left join public.evidence_export_statements s on s.id = e.export_statement_id
    where e.organization_id = ${orgId} order by e.leaf_index`;
  const entries: LogEntry[] = [];
  for (const r of rows) {
    const entry = { leafIndex: Number(r.leafIndex), leafHash: new Uint8Array(r.leafHash) };
    if (!r.manifestId) {
      entries.push({ ...entry, kind: "export", sourceId: r.statementId!, jws: r.statementJws! });
      continue;
    }
    try {
      const [manifest] = await readStoredManifests(tx, [{ ...r, id: r.manifestId }]);
      entries.push({ ...entry, kind: "manifest", sourceId: r.manifestId, jws: manifest!.jws });
    } catch (error) {
      if (!(error instanceof StoredManifestError)) throw error;
      entries.push({ ...entry, kind: "manifest", sourceId: r.manifestId, jws: "", unreadable: error.message });
    }
  }
  return entries;
}

export interface LogEntry {
  leafIndex: number;
  leafHash: Uint8Array;
  kind: "manifest" | "export";
  sourceId: string;
  jws: string;
  /** Why a manifest's JWS could not be put back together from its stored form. */
  unreadable?: string;
}
