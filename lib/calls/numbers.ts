import "server-only";
import type { Tx } from "@/lib/db";
import { maskNumber, numberHash, openNumbers, sealNumber } from "@/lib/pii/numbers";

/**
 * A call's two numbers as its row stores them (docs/adr/0044): sealed, with the keyed hash that
 * search and the joins by number compare and the mask a viewer sees and searches. Every writer
 * of public.calls' numbers goes through callNumberColumns; every reader opens them with
 * openCallNumbers.
 */
export interface CallNumberColumns {
  to_number: string;
  from_number: string;
  to_number_hash: string;
  from_number_hash: string;
  to_number_mask: string;
  from_number_mask: string;
}

export async function callNumberColumns(tx: Tx, orgId: string, { from, to }: { from: string; to: string }): Promise<CallNumberColumns> {
  const [toSealed, fromSealed, toHash, fromHash] = await Promise.all([
    sealNumber(tx, orgId, "calls.to_number", to),
    sealNumber(tx, orgId, "calls.from_number", from),
    numberHash(orgId, to),
    numberHash(orgId, from),
  ]);
  return { to_number: toSealed, from_number: fromSealed, to_number_hash: toHash, from_number_hash: fromHash, to_number_mask: maskNumber(to), from_number_mask: maskNumber(from) };
}

/**
 * Rows with `toNumber` and `fromNumber` (and `modulations`, when selected) as stored, of one
 * organization, with the numbers opened (no statement once the process knows the keys).
 */
export async function openCallNumbers<T extends { toNumber: string; fromNumber: string; modulations?: unknown }>(tx: Tx, orgId: string, rows: T[]): Promise<T[]> {
  const opened = await openNumbers(tx, rows.flatMap((r) => [
    { orgId, field: "calls.to_number" as const, value: r.toNumber },
    { orgId, field: "calls.from_number" as const, value: r.fromNumber },
  ]));
  return Promise.all(rows.map(async (r, i) => ({
    ...r,
    toNumber: opened[2 * i]!,
    fromNumber: opened[2 * i + 1]!,
    ...("modulations" in r ? { modulations: await openSnapshotNumbers(tx, orgId, "calls.modulations", r.modulations) } : {}),
  })));
}

/** Where a modulation snapshot is stored: a call's, or a campaign's (which its calls copy). */
export type SnapshotField = "calls.modulations" | "campaigns.modulations";

/** The snapshot's keys that hold numbers: the caller id, the dialled number and the operator's phone. */
export const SNAPSHOT_NUMBER_KEYS = ["from", "to", "operatorPhone"] as const;

/** A snapshot as stored (docs/adr/0044): its numbers sealed, everything else as it is. */
export async function sealSnapshotNumbers<T extends object>(tx: Tx, orgId: string, field: SnapshotField, snapshot: T): Promise<T> {
  const out = { ...snapshot } as Record<string, unknown>;
  for (const key of SNAPSHOT_NUMBER_KEYS) {
    const value = out[key];
    if (typeof value === "string" && !value.startsWith("pn1.")) out[key] = await sealNumber(tx, orgId, field, value);
  }
  return out as T;
}

/**
 * A stored snapshot with its numbers opened, for the schema to parse; anything that is not an
 * object comes back as it is (the schema refuses it). No statement once the process knows the keys.
 */
export async function openSnapshotNumbers(tx: Tx, orgId: string, field: SnapshotField, stored: unknown): Promise<unknown> {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return stored;
  const out: Record<string, unknown> = { ...stored };
  const keys = SNAPSHOT_NUMBER_KEYS.filter((k) => typeof out[k] === "string");
  const opened = await openNumbers(tx, keys.map((k) => ({ orgId, field, value: out[k] as string })));
  keys.forEach((k, i) => (out[k] = opened[i]));
  return out;
}
