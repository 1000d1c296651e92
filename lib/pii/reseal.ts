import "server-only";
import { asService, type Tx } from "@/lib/db";
import { maskNumber, numberHash, openNumbers, sealNumber, type NumberField } from "@/lib/pii/numbers";

/**
 * The one path that brings stored numbers up to date (docs/adr/0044): it seals what is still in
 * E.164 (rows from before the migration, seeds) and re-seals every value whose data key is not
 * its organization's current one (after a rotation), writing the hash and mask beside it. In
 * batches of short transactions: each takes a batch with `for update skip locked` (a writer
 * holding a row is passed over and met again next pass), re-seals it and commits, and an
 * update applies only if the value is still the one read, so a concurrent write is never
 * overwritten. Readers are never blocked, and every value stays readable throughout, because
 * an older data key stays until nothing is sealed under it. Idempotent: a pass over up-to-date
 * rows changes nothing.
 */

export interface SealedColumn {
  table: string;
  column: string;
  field: NumberField;
  /** The keyed hash beside it, where it is searched or joined. */
  hash?: string;
  /** The viewer's mask beside it. */
  mask?: string;
  /** The row's key column. */
  key: string;
}

/** Every column that holds a phone number. The dump test reads this list too. */
export const SEALED_COLUMNS: SealedColumn[] = [
  { table: "calls", column: "to_number", field: "calls.to_number", hash: "to_number_hash", mask: "to_number_mask", key: "id" },
  { table: "calls", column: "from_number", field: "calls.from_number", hash: "from_number_hash", mask: "from_number_mask", key: "id" },
  { table: "voice_targets", column: "number", field: "voice_targets.number", hash: "number_hash", key: "id" },
  { table: "campaign_targets", column: "number", field: "campaign_targets.number", key: "id" },
  { table: "erasure_requests", column: "phone_number", field: "erasure_requests.phone_number", hash: "phone_number_hash", key: "id" },
  { table: "voice_configs", column: "caller_id", field: "voice_configs.caller_id", key: "organization_id" },
  { table: "voice_configs", column: "operator_phone", field: "voice_configs.operator_phone", key: "organization_id" },
];

/** A data key's id as sealed values name it (lib/pii/numbers.ts: base64url of its 16 bytes). */
const KEY_TOKEN = `translate(rtrim(encode(uuid_send(k.id), 'base64'), '='), '+/', '-_')`;

interface Stale {
  key: string;
  orgId: string;
  value: string;
}

/** Up to `limit` rows of a column not sealed under their organization's current key, locked for this transaction. */
async function staleRows(tx: Tx, c: SealedColumn, limit: number): Promise<Stale[]> {
  return tx.unsafe<Stale[]>(`
    select t.${c.key}::text as key, t.organization_id::text as "orgId", t.${c.column} as value
    from public.${c.table} t
    where t.${c.column} is not null
      and split_part(t.${c.column}, '.', 2) is distinct from (
        select ${KEY_TOKEN} from private.number_data_keys k where k.organization_id = t.organization_id and k.current)
    limit ${limit}
    for update of t skip locked`);
}

/** Re-seals one batch of a column; returns how many rows it brought up to date. */
async function resealBatch(c: SealedColumn, limit: number): Promise<number> {
  return asService(async (tx) => {
    const rows = await staleRows(tx, c, limit);
    if (rows.length === 0) return 0;
    const plain = await openNumbers(tx, rows.map((r) => ({ orgId: r.orgId, field: c.field, value: r.value })));
    const updated = await Promise.all(rows.map(async (r, i) => ({
      key: r.key,
      old: r.value,
      value: await sealNumber(tx, r.orgId, c.field, plain[i]!),
      hash: c.hash ? await numberHash(r.orgId, plain[i]!) : null,
      mask: c.mask ? maskNumber(plain[i]!) : null,
    })));
    const set = [`${c.column} = u.value`, c.hash && `${c.hash} = u.hash`, c.mask && `${c.mask} = u.mask`].filter(Boolean).join(", ");
    const result = await tx.unsafe(`
      update public.${c.table} t set ${set}
      from jsonb_to_recordset($1::jsonb) as u(key text, old text, value text, hash text, mask text)
      where t.${c.key}::text = u.key and t.${c.column} = u.old`, [updated as never]);
    return result.count;
  });
}

export interface ResealProgress {
  /** Rows brought up to date, per `table.column`. */
  done: Record<string, number>;
  /** Whether a pass found nothing left. */
  finished: boolean;
}

/**
 * Passes over every sealed column until a pass finds nothing to do or `deadline` (ms since the
 * epoch) passes; `onBatch` reports progress after each batch.
 */
export async function resealNumbers({ batch = 500, deadline = Infinity, onBatch = (_: ResealProgress) => {} } = {}): Promise<ResealProgress> {
  const progress: ResealProgress = { done: {}, finished: false };
  for (;;) {
    let pass = 0;
    for (const c of SEALED_COLUMNS) {
      for (;;) {
        const n = await resealBatch(c, batch);
        if (n === 0) break;
        pass += n;
        const name = `${c.table}.${c.column}`;
        progress.done[name] = (progress.done[name] ?? 0) + n;
        onBatch(progress);
        if (Date.now() > deadline) return progress;
      }
    }
    if (pass === 0) return { ...progress, finished: true };
  }
}
