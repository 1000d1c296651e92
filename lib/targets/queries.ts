import "server-only";
import { maskNumber, type CallView } from "@/lib/calls/call-view";
import type { Tx } from "@/lib/db";
import { UnprocessableError, ValidationError } from "@/lib/errors";
import { emailsOf } from "@/lib/orgs/members";
import { numberHash, openNumbers } from "@/lib/pii/numbers";
import { EXPORT_MAX_ROWS, type TargetFilter, type TargetListResponse, type TargetView } from "@/lib/targets/contracts";
import type { ExportRow } from "@/lib/targets/csv";
import { e164Of } from "@/lib/targets/numbers";

/**
 * Reads of saved targets, always under RLS (`withUser`) and filtered by organization as well.
 * What a role sees of a number is decided by the caller and passed in as `view`, the call
 * list's own (lib/calls/call-view.ts): numbers masked without `numbers.view`. The number is
 * stored sealed with its keyed hash beside it (docs/adr/0044): every read opens it here, and
 * every look-up by number compares the hash.
 */
export interface TargetRow {
  id: string;
  name: string;
  number: string;
  timeZone: string;
  tags: string[];
  notes: string;
  dnc: boolean;
  dncSetBy: string | null;
  dncSetAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

type NumberView = Pick<CallView, "numbers">;

const COLUMNS = (tx: Tx) => tx`
  t.id, t.name, t.number, t.time_zone as "timeZone", t.tags, t.notes, t.dnc, t.dnc_set_by as "dncSetBy",
  to_json(t.dnc_set_at) #>> '{}' as "dncSetAt", t.created_by as "createdBy",
  to_json(t.created_at) #>> '{}' as "createdAt", to_json(t.updated_at) #>> '{}' as "updatedAt"`;

export function targetView(row: TargetRow, view: NumberView, emails: Map<string, string> = new Map()): TargetView {
  return {
    ...row,
    number: view.numbers ? row.number : maskNumber(row.number),
    dncSetByEmail: row.dncSetBy ? (emails.get(row.dncSetBy) ?? null) : null,
  };
}

/**
 * The rows with their numbers opened (sealed, or E.164 still: a row from before the re-sealing
 * pass). No statement once the process knows the organization's data keys.
 */
async function opened<T extends { number: string }>(tx: Tx, orgId: string, rows: T[]): Promise<T[]> {
  const numbers = await openNumbers(tx, rows.map((r) => ({ orgId, field: "voice_targets.number" as const, value: r.number })));
  return rows.map((r, i) => ({ ...r, number: numbers[i]! }));
}

/** E.164 numbers with their keyed hashes in the organization: what numberIn compares. */
export interface HashedNumbers {
  numbers: string[];
  hashes: string[];
}

export async function hashed(orgId: string, numbers: string[]): Promise<HashedNumbers> {
  return { numbers, hashes: await Promise.all(numbers.map((n) => numberHash(orgId, n))) };
}

/**
 * Targets `t` whose number is one of these: by the keyed hash, or, for a row written before the
 * re-sealing pass gave it a hash, by its number still in E.164 (a sealed value never equals a
 * number). Both, so a duplicate is never missed in between.
 */
export function numberIn(tx: Tx, { numbers, hashes }: HashedNumbers) {
  return tx`(t.number_hash = any (${hashes}::text[]) or t.number = any (${numbers}::text[]))`;
}

async function views(rows: TargetRow[], view: NumberView): Promise<TargetView[]> {
  const emails = await emailsOf(rows.flatMap((r) => (r.dncSetBy ? [r.dncSetBy] : [])));
  return rows.map((r) => targetView(r, view, emails));
}

/** `%`, `_` and `\` match themselves in a search. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The filter as SQL. `q` matches the name or the notes (case-insensitively), and for roles that
 * see numbers a whole number too: `q` read as a phone number in international form, compared
 * through the hash (a sealed number has no digits to match part of; docs/adr/0044). A viewer
 * learns nothing of a number by searching for it.
 */
function where(tx: Tx, orgId: string, filter: TargetFilter, number: HashedNumbers | null) {
  const q = filter.q?.trim();
  const pattern = q ? `%${likeEscape(q)}%` : null;
  return tx`t.organization_id = ${orgId}
    ${pattern ? tx`and (t.name ilike ${pattern} or t.notes ilike ${pattern}
      ${number ? tx`or ${numberIn(tx, number)}` : tx``})` : tx``}
    ${filter.tag?.length ? tx`and t.tags @> ${filter.tag}::text[]` : tx``}
    ${filter.dnc === undefined ? tx`` : tx`and t.dnc = ${filter.dnc}`}`;
}

/** The search's number, hashed: `q` as a whole number in international form, for roles that see numbers. */
async function searchedNumber(orgId: string, filter: TargetFilter, view: NumberView): Promise<HashedNumbers | null> {
  const number = view.numbers && filter.q ? e164Of(filter.q) : null;
  return number ? hashed(orgId, [number]) : null;
}

function encodeCursor(row: { name: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.name, row.id])).toString("base64url");
}

function decodeCursor(cursor: string): { name: string; id: string } {
  try {
    const [name, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof name === "string" && typeof id === "string" && /^[0-9a-f-]{36}$/.test(id)) return { name, id };
  } catch {
    // answered below
  }
  throw new ValidationError("The `after` cursor is not one this API gave out.");
}

/** A page of the organization's targets by name, then id (keyset: `after` the last one seen). */
export async function listTargets(
  tx: Tx,
  { orgId, filter, after, limit, view }: { orgId: string; filter: TargetFilter; after?: string; limit: number; view: NumberView },
): Promise<TargetListResponse> {
  const cursor = after ? decodeCursor(after) : null;
  const rows = await tx<TargetRow[]>`
    select ${COLUMNS(tx)} from public.voice_targets t
    where ${where(tx, orgId, filter, await searchedNumber(orgId, filter, view))} ${cursor ? tx`and (t.name, t.id) > (${cursor.name}, ${cursor.id}::uuid)` : tx``}
    order by t.name, t.id
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { targets: await views(await opened(tx, orgId, page), view), nextAfter: rows.length > limit && last ? encodeCursor(last) : null };
}

export async function targetRow(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<TargetRow | null> {
  const [row] = await tx<TargetRow[]>`select ${COLUMNS(tx)} from public.voice_targets t where t.organization_id = ${orgId} and t.id = ${id}`;
  return row ? (await opened(tx, orgId, [row]))[0]! : null;
}

export async function findTarget(tx: Tx, { orgId, id, view }: { orgId: string; id: string; view: NumberView }): Promise<TargetView | null> {
  const row = await targetRow(tx, { orgId, id });
  return row ? (await views([row], view))[0]! : null;
}

/** Which of these numbers the organization has saved already, and under what name. */
export async function savedNumbers(tx: Tx, { orgId, numbers }: { orgId: string; numbers: string[] }): Promise<Map<string, string>> {
  if (numbers.length === 0) return new Map();
  const rows = await tx<{ number: string; name: string }[]>`
    select t.number, t.name from public.voice_targets t where t.organization_id = ${orgId} and ${numberIn(tx, await hashed(orgId, numbers))}`;
  return new Map((await opened(tx, orgId, rows)).map((r) => [r.number, r.name]));
}

/** Every target the filter matches, by name, for the CSV export (422 past EXPORT_MAX_ROWS: narrow it). */
export async function exportRows(tx: Tx, { orgId, filter, view }: { orgId: string; filter: TargetFilter; view: NumberView }): Promise<ExportRow[]> {
  const rows = await tx<TargetRow[]>`
    select ${COLUMNS(tx)} from public.voice_targets t where ${where(tx, orgId, filter, await searchedNumber(orgId, filter, view))}
    order by t.name, t.id limit ${EXPORT_MAX_ROWS + 1}`;
  if (rows.length > EXPORT_MAX_ROWS) {
    throw new UnprocessableError(
      `More than ${EXPORT_MAX_ROWS} targets match. Narrow the export with a tag, a search or the do-not-call filter.`,
      "too_many_rows",
      { maxRows: EXPORT_MAX_ROWS },
    );
  }
  return (await opened(tx, orgId, rows)).map((r) => ({ ...r, number: view.numbers ? r.number : maskNumber(r.number) }));
}
