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
  /** The table's schema: public unless said (a side table in private). */
  schema?: "public" | "private";
  /** A `text[]` column: every element is a sealed number (no hash or mask beside it). */
  array?: true;
}

/** Every column that holds a phone number. The dump test reads this list too. */
export const SEALED_COLUMNS: SealedColumn[] = [
  { table: "calls", column: "to_number", field: "calls.to_number", hash: "to_number_hash", mask: "to_number_mask", key: "id" },
  { table: "calls", column: "from_number", field: "calls.from_number", hash: "from_number_hash", mask: "from_number_mask", key: "id" },
  { schema: "private", table: "evidence_manifest_numbers", column: "numbers", field: "evidence_manifests.numbers", key: "manifest_id", array: true },
];

/** A data key's id as sealed values name it (lib/pii/numbers.ts: base64url of its 16 bytes). */
const KEY_TOKEN = `translate(rtrim(encode(uuid_send(k.id), 'base64'), '='), '+/', '-_')`;

interface Stale {
  key: string;
  orgId: string;
  /** The column's value; for an array column, its elements. */
  value: string | string[];
}

/** The values of a row's column, one for a text column, every element for an array column. */
const valuesOf = (r: Stale): string[] => (Array.isArray(r.value) ? r.value : [r.value]);

/**
 * Up to `limit` rows of a column not sealed under their organization's current key (for an
 * array column: any element not), locked for this transaction.
 */
async function staleRows(tx: Tx, c: SealedColumn, limit: number): Promise<Stale[]> {
  const current = `(select ${KEY_TOKEN} from private.number_data_keys k where k.organization_id = t.organization_id and k.current)`;
  const stale = c.array
    ? `exists (select 1 from unnest(t.${c.column}) v where split_part(v, '.', 2) is distinct from ${current})`
    : `split_part(t.${c.column}, '.', 2) is distinct from ${current}`;
  return tx.unsafe<Stale[]>(`
    select t.${c.key}::text as key, t.organization_id::text as "orgId", t.${c.column} as value
    from ${c.schema ?? "public"}.${c.table} t
    where t.${c.column} is not null and ${stale}
    limit ${limit}
    for update of t skip locked`);
}

/** Re-seals one batch of a column; returns how many rows it brought up to date. */
async function resealBatch(c: SealedColumn, limit: number): Promise<number> {
  return asService(async (tx) => {
    const rows = await staleRows(tx, c, limit);
    if (rows.length === 0) return 0;
    const plain = await openNumbers(tx, rows.flatMap((r) => valuesOf(r).map((value) => ({ orgId: r.orgId, field: c.field, value }))));
    let next = 0;
    const opened = rows.map((r) => valuesOf(r).map(() => plain[next++]!));
    const updated = await Promise.all(rows.map(async (r, i) => {
      const numbers = opened[i]!;
      const sealed = await Promise.all(numbers.map((n) => sealNumber(tx, r.orgId, c.field, n)));
      return {
        key: r.key,
        old: r.value,
        value: c.array ? sealed : sealed[0],
        hash: c.hash ? await numberHash(r.orgId, numbers[0]!) : null,
        mask: c.mask ? maskNumber(numbers[0]!) : null,
      };
    }));
    const type = c.array ? "text[]" : "text";
    const set = [`${c.column} = u.value`, c.hash && `${c.hash} = u.hash`, c.mask && `${c.mask} = u.mask`].filter(Boolean).join(", ");
    const result = await tx.unsafe(`
      update ${c.schema ?? "public"}.${c.table} t set ${set}
      from jsonb_to_recordset($1::jsonb) as u(key text, old ${type}, value ${type}, hash text, mask text)
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
