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

/** Rows with `toNumber` and `fromNumber` as stored, of one organization, with both opened (no statement once the process knows the keys). */
export async function openCallNumbers<T extends { toNumber: string; fromNumber: string }>(tx: Tx, orgId: string, rows: T[]): Promise<T[]> {
  const opened = await openNumbers(tx, rows.flatMap((r) => [
    { orgId, field: "calls.to_number" as const, value: r.toNumber },
    { orgId, field: "calls.from_number" as const, value: r.fromNumber },
  ]));
  return rows.map((r, i) => ({ ...r, toNumber: opened[2 * i]!, fromNumber: opened[2 * i + 1]! }));
}
