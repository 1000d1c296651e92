import "server-only";
import { asService, type Tx } from "@/lib/db";
import type { Logger } from "@/lib/logger";
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
  /** For a jsonb column: the top-level keys whose string values are numbers (a modulation snapshot's). */
  jsonKeys?: readonly string[];
  /** The row's key column (unique; the pass walks it in order). */
  key: string;
  /** The table's schema: public unless said (a side table in private). */
  schema?: "public" | "private";
  /** A `text[]` column: every element is a sealed number (no hash or mask beside it). */
  array?: true;
}

const SNAPSHOT_KEYS = ["from", "to", "operatorPhone"] as const;

/** Every column that holds a phone number. The dump test reads this list too. */
export const SEALED_COLUMNS: SealedColumn[] = [
  { table: "calls", column: "to_number", field: "calls.to_number", hash: "to_number_hash", mask: "to_number_mask", key: "id" },
  { table: "calls", column: "from_number", field: "calls.from_number", hash: "from_number_hash", mask: "from_number_mask", key: "id" },
  { table: "calls", column: "modulations", field: "calls.modulations", jsonKeys: SNAPSHOT_KEYS, key: "id" },
  { table: "campaigns", column: "modulations", field: "campaigns.modulations", jsonKeys: SNAPSHOT_KEYS, key: "id" },
  { schema: "private", table: "evidence_manifest_numbers", column: "numbers", field: "evidence_manifests.numbers", key: "manifest_id", array: true },
  { table: "voice_targets", column: "number", field: "voice_targets.number", hash: "number_hash", key: "id" },
  { table: "campaign_targets", column: "number", field: "campaign_targets.number", key: "id" },
  { table: "erasure_requests", column: "phone_number", field: "erasure_requests.phone_number", hash: "phone_number_hash", key: "id" },
  { table: "voice_configs", column: "caller_id", field: "voice_configs.caller_id", key: "organization_id" },
  { table: "voice_configs", column: "operator_phone", field: "voice_configs.operator_phone", key: "organization_id" },
];

/** A data key's id as sealed values name it (lib/pii/numbers.ts: base64url of its 16 bytes). */
const KEY_TOKEN = `translate(rtrim(encode(uuid_send(k.id), 'base64'), '='), '+/', '-_')`;
const CURRENT_TOKEN = `(select ${KEY_TOKEN} from private.number_data_keys k where k.organization_id = t.organization_id and k.current)`;

/** Whether row `t`'s value is not (all) sealed under its organization's current data key. */
function staleTest(c: SealedColumn): string {
  if (c.array) return `exists (select 1 from unnest(t.${c.column}) as v where split_part(v, '.', 2) is distinct from ${CURRENT_TOKEN})`;
  if (!c.jsonKeys) return `t.${c.column} is not null and split_part(t.${c.column}, '.', 2) is distinct from ${CURRENT_TOKEN}`;
  const keys = c.jsonKeys.map((k) => `'${k}'`).join(", ");
  return `exists (select 1 from unnest(array[${keys}]) as n(k)
    where jsonb_typeof(t.${c.column} -> n.k) = 'string' and split_part(t.${c.column} ->> n.k, '.', 2) is distinct from ${CURRENT_TOKEN})`;
}

interface Stale {
  key: string;
  orgId: string;
  /** The column's value: a number, an array's elements, or a snapshot. */
  value: string | string[] | Record<string, unknown>;
}

/**
 * Up to `limit` rows of a column after key `after` not sealed under their organization's current
 * key, in key order (the primary key's index: a pass reads the table once), locked for this
 * transaction; a row a writer holds is passed over and met on the next pass.
 */
async function staleRows(tx: Tx, c: SealedColumn, after: string, limit: number, orgIds: string[] | null): Promise<Stale[]> {
  return tx.unsafe<Stale[]>(`
    select t.${c.key}::text as key, t.organization_id::text as "orgId", t.${c.column} as value
    from ${c.schema ?? "public"}.${c.table} t
    where t.${c.key}::text > $1 and ($2::uuid[] is null or t.organization_id = any ($2::uuid[])) and ${staleTest(c)}
    order by t.${c.key}::text
    limit ${limit}
    for update of t skip locked`, [after, orgIds as never]);
}

/** The numbers a stored value holds, and how to put numbers back in their places. */
function numbersIn(c: SealedColumn, value: Stale["value"]): { numbers: string[]; rebuild: (numbers: string[]) => Stale["value"] } {
  if (typeof value === "string") return { numbers: [value], rebuild: (n) => n[0]! };
  if (Array.isArray(value)) return { numbers: value, rebuild: (n) => n };
  const keys = (c.jsonKeys ?? []).filter((k) => typeof value[k] === "string");
  return { numbers: keys.map((k) => value[k] as string), rebuild: (n) => ({ ...value, ...Object.fromEntries(keys.map((k, i) => [k, n[i]])) }) };
}

/** Re-seals one batch of a column; returns how many rows it brought up to date and the last key it read. */
async function resealBatch(c: SealedColumn, after: string, limit: number, orgIds: string[] | null): Promise<{ done: number; last: string | null }> {
  return asService(async (tx) => {
    const rows = await staleRows(tx, c, after, limit, orgIds);
    if (rows.length === 0) return { done: 0, last: null };
    const updated = await Promise.all(rows.map(async (r) => {
      const { numbers, rebuild } = numbersIn(c, r.value);
      const plain = await openNumbers(tx, numbers.map((value) => ({ orgId: r.orgId, field: c.field, value })));
      const sealed = await Promise.all(plain.map((n) => sealNumber(tx, r.orgId, c.field, n)));
      return {
        key: r.key,
        old: r.value,
        value: rebuild(sealed),
        hash: c.hash ? await numberHash(r.orgId, plain[0]!) : null,
        mask: c.mask ? maskNumber(plain[0]!) : null,
      };
    }));
    const set = [`${c.column} = u.value`, c.hash && `${c.hash} = u.hash`, c.mask && `${c.mask} = u.mask`].filter(Boolean).join(", ");
    const type = c.jsonKeys ? "jsonb" : c.array ? "text[]" : "text";
    // Only where the value is still the one read: a concurrent write is never overwritten.
    const result = await tx.unsafe(`
      update ${c.schema ?? "public"}.${c.table} t set ${set}
      from jsonb_to_recordset($1::jsonb) as u(key text, old ${type}, value ${type}, hash text, mask text)
      where t.${c.key}::text = u.key and t.${c.column} = u.old`, [updated as never]);
    return { done: result.count, last: rows.at(-1)!.key };
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
 * epoch) passes; `onBatch` reports progress after each batch. `orgIds` narrows it to those
 * organizations (a test's own, while other tests work beside it); null is every one.
 */
export async function resealNumbers({
  batch = 500,
  deadline = Infinity,
  onBatch = (_: ResealProgress) => {},
  orgIds = null,
}: { batch?: number; deadline?: number; onBatch?: (progress: ResealProgress) => void; orgIds?: string[] | null } = {}): Promise<ResealProgress> {
  const progress: ResealProgress = { done: {}, finished: false };
  for (;;) {
    let pass = 0;
    for (const c of SEALED_COLUMNS) {
      for (let after = ""; ; ) {
        const { done, last } = await resealBatch(c, after, batch, orgIds);
        if (last === null) break;
        after = last;
        pass += done;
        const name = `${c.table}.${c.column}`;
        progress.done[name] = (progress.done[name] ?? 0) + done;
        onBatch(progress);
        if (Date.now() > deadline) return progress;
      }
    }
    if (pass === 0) return { ...progress, finished: true };
  }
}

/** How long one `seal_numbers` run works before leaving the rest to the next minute's. */
export const SEAL_RUN_MS = 50_000;

/** The `seal_numbers` cron task: one bounded run of resealNumbers, its progress logged. */
export async function sealStoredNumbers({ log }: { log: Pick<Logger, "info"> }): Promise<ResealProgress> {
  const progress = await resealNumbers({ deadline: Date.now() + SEAL_RUN_MS });
  if (Object.keys(progress.done).length) log.info(`sealed numbers: ${JSON.stringify(progress.done)}${progress.finished ? "" : " (more next run)"}`);
  return progress;
}
