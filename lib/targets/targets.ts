import "server-only";
import type { Tx } from "@/lib/db";
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from "@/lib/errors";
import { recordOrganizationEvent } from "@/lib/orgs/audit";
import { numberHash, sealNumber } from "@/lib/pii/numbers";
import type { Membership } from "@/lib/rbac/membership";
import { POLICY, allows, whoMay } from "@/lib/rbac/policy";
import type { TargetCreate, TargetUpdate, TargetView } from "@/lib/targets/contracts";
import { deriveTimeZone, e164Of } from "@/lib/targets/numbers";
import { findTarget, hashed, numberIn, targetRow } from "@/lib/targets/queries";

/**
 * Saved targets: the one module that writes `public.voice_targets` (create, change, mark or
 * clear do-not-call, delete, and the import's insert). It runs as the member, under RLS, and the
 * table's trigger records who set or cleared a mark and when (supabase/migrations/
 * *_create_voice_targets.sql); each change of a mark, and each import, is also recorded in the
 * organization's own changes (lib/orgs/audit.ts) in the same transaction. The number is stored
 * sealed, with its keyed hash, which the unique constraint is on (docs/adr/0044).
 */

export interface NewTarget {
  name: string;
  number: string;
  timeZone: string;
  tags: string[];
  notes: string;
  dnc: boolean;
}

function numberOf(input: string): string {
  const number = e164Of(input);
  if (!number) {
    throw new UnprocessableError(
      `number ${JSON.stringify(input)} is not a valid phone number. Use international format, such as +14155550100.`,
      "invalid_number",
      { field: "number" },
    );
  }
  return number;
}

async function timeZoneFor(number: string, given: string | null | undefined): Promise<{ timeZone: string; derived: boolean }> {
  if (given) return { timeZone: given, derived: false };
  const derived = await deriveTimeZone(number);
  if (!derived) {
    throw new UnprocessableError(
      `The time zone of ${number} cannot be told from the number (it names none, or several). Give timeZone, such as America/New_York.`,
      "time_zone_required",
      { field: "timeZone" },
    );
  }
  return { timeZone: derived, derived: true };
}

/** The number as the row stores it: sealed, and its keyed hash (one target per hash per organization). */
async function storedNumber(tx: Tx, orgId: string, e164: string): Promise<{ number: string; number_hash: string }> {
  const [number, hash] = await Promise.all([sealNumber(tx, orgId, "voice_targets.number", e164), numberHash(orgId, e164)]);
  return { number, number_hash: hash };
}

/** Postgres's unique violation on (organization_id, number_hash). */
function isDuplicateNumber(err: unknown): boolean {
  const e = err as { code?: string; constraint_name?: string } | null;
  return e?.code === "23505" && e.constraint_name === "voice_targets_organization_id_number_hash_key";
}

/**
 * 409 when another target of the organization has this number. Looked up first (a failed
 * statement would end the transaction before it could say which target); the unique constraint
 * still decides a race, answered 409 without the name.
 */
async function assertNumberFree(tx: Tx, { orgId, number, except }: { orgId: string; number: string; except?: string }): Promise<void> {
  const [row] = await tx<{ id: string; name: string }[]>`
    select t.id, t.name from public.voice_targets t
    where t.organization_id = ${orgId} and ${numberIn(tx, await hashed(orgId, [number]))} ${except ? tx`and t.id <> ${except}` : tx``}`;
  if (row) throw duplicate(number, row);
}

function duplicate(number: string, row?: { id: string; name: string }): ConflictError {
  return new ConflictError(
    `${number} is already saved${row ? ` as ${JSON.stringify(row.name)}` : ""}. A number is saved once per organization: edit that target instead.`,
    "duplicate_number",
    { targetId: row?.id ?? null },
  );
}

/**
 * The statement, its refusals answered: a duplicate number (a race the look-up lost) is 409; a
 * value the table's checks refuse that the contracts let through is 422, never a 500.
 */
async function unlessRefused<T>(number: string, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (err) {
    if (isDuplicateNumber(err)) throw duplicate(number);
    if ((err as { code?: string } | null)?.code === "23514") {
      throw new UnprocessableError("The target cannot be stored as given (a value the database refuses). Check the name, tags and time zone.", "unprocessable");
    }
    throw err;
  }
}

/** 422 for a zone Intl knows but this Postgres does not (it computes calling windows too). */
async function assertZoneKnown(tx: Tx, timeZone: string): Promise<void> {
  const [row] = await tx<{ known: boolean }[]>`select private.is_time_zone(${timeZone}) as known`;
  if (!row?.known) {
    throw new UnprocessableError(`${JSON.stringify(timeZone)} is not a time zone the database knows. Give another name for it, such as America/New_York.`, "unknown_time_zone", { field: "timeZone" });
  }
}

function refuse(membership: Pick<Membership, "role">, action: "target.write" | "target.dnc", what: string): never {
  throw new ForbiddenError(`Your role (${membership.role}) does not allow ${what}. ${whoMay(action)} may.`, {
    action,
    roles: [...POLICY[action].roles],
  });
}

/** Save a target (the caller holds `target.write`). 422 for a bad number or a zone neither given nor derivable; 409 for a number already saved. */
export async function createTarget(
  tx: Tx,
  { membership, input }: { membership: Membership; input: TargetCreate },
): Promise<{ target: TargetView; timeZoneDerived: boolean }> {
  const { orgId } = membership;
  const number = numberOf(input.number);
  const { timeZone, derived } = await timeZoneFor(number, input.timeZone);
  await assertNumberFree(tx, { orgId, number });
  await assertZoneKnown(tx, timeZone);
  const stored = await storedNumber(tx, orgId, number);
  const [row] = await unlessRefused(number, () => tx<{ id: string }[]>`
    insert into public.voice_targets (organization_id, name, number, number_hash, time_zone, tags, notes, dnc, created_by)
    values (${orgId}, ${input.name}, ${stored.number}, ${stored.number_hash}, ${timeZone}, ${input.tags ?? []}::text[], ${input.notes ?? ""}, ${input.dnc ?? false}, ${membership.userId})
    returning id`);
  if (input.dnc) await recordOrganizationEvent(tx, { orgId, event: { kind: "target.dnc_set", subject: row!.id, payload: { name: input.name } } });
  const target = await findTarget(tx, { orgId, id: row!.id, view: { numbers: true } });
  return { target: target!, timeZoneDerived: derived };
}

/**
 * Change a target. `{ dnc: true }` alone is marking it do-not-call (`target.dnc`, which the route
 * authorized); anything else, clearing the mark included, takes `target.write` (403 naming who
 * may). A new number without a zone takes the zone the number names, or keeps the old one.
 */
export async function updateTarget(
  tx: Tx,
  { membership, id, input }: { membership: Membership; id: string; input: TargetUpdate },
): Promise<TargetView> {
  const { orgId } = membership;
  const onlyMarking = Object.keys(input).every((k) => k === "dnc") && input.dnc === true;
  if (!onlyMarking && !allows(membership.role, membership.plan, "target.write")) {
    refuse(membership, "target.write", input.dnc === false ? "clearing a do-not-call mark" : "changing a target (beyond marking it do-not-call)");
  }
  const current = await targetRow(tx, { orgId, id });
  if (!current) throw new NotFoundError("Target not found.");
  const numbers = allows(membership.role, membership.plan, "numbers.view");
  // Marked already: nothing to change, nothing to record.
  if (onlyMarking && current.dnc) return (await findTarget(tx, { orgId, id, view: { numbers } }))!;
  const number = input.number === undefined ? current.number : numberOf(input.number);
  let timeZone = input.timeZone ?? current.timeZone;
  if (input.timeZone === undefined && number !== current.number) timeZone = (await deriveTimeZone(number)) ?? current.timeZone;
  const next = {
    name: input.name ?? current.name,
    number,
    timeZone,
    tags: input.tags ?? current.tags,
    notes: input.notes ?? current.notes,
    dnc: input.dnc ?? current.dnc,
  };
  if (number !== current.number) await assertNumberFree(tx, { orgId, number, except: id });
  if (timeZone !== current.timeZone) await assertZoneKnown(tx, timeZone);
  // Written only when it changes: an operator's marking may change nothing else (the trigger).
  const stored = number === current.number ? null : await storedNumber(tx, orgId, number);
  await unlessRefused(number, () => tx`
    update public.voice_targets
    set name = ${next.name}, ${stored ? tx`number = ${stored.number}, number_hash = ${stored.number_hash},` : tx``} time_zone = ${next.timeZone}, tags = ${next.tags}::text[], notes = ${next.notes}, dnc = ${next.dnc}
    where organization_id = ${orgId} and id = ${id}`);
  if (next.dnc !== current.dnc) {
    await recordOrganizationEvent(tx, {
      orgId,
      event: { kind: next.dnc ? "target.dnc_set" : "target.dnc_cleared", subject: id, payload: { name: next.name } },
    });
  }
  return (await findTarget(tx, { orgId, id, view: { numbers } }))!;
}

/** Delete a target (the caller holds `target.write`). 409 `target_dnc` while it is marked do-not-call; 404 when it is not the organization's. */
export async function deleteTarget(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<void> {
  const deleted = await tx`delete from public.voice_targets where organization_id = ${orgId} and id = ${id} returning id`;
  if (deleted.length > 0) return;
  const row = await targetRow(tx, { orgId, id });
  if (!row) throw new NotFoundError("Target not found.");
  throw new ConflictError(
    `${JSON.stringify(row.name)} is marked do-not-call, so it is kept: deleting it would forget the mark. Clear the mark first if it should go.`,
    "target_dnc",
  );
}

/**
 * The import's insert: every row at once, in the caller's transaction (after its preview was
 * checked again in the same one). A number saved meanwhile by someone else is 409
 * `preview_stale`, and nothing is saved.
 */
export async function insertTargets(tx: Tx, { orgId, userId, rows }: { orgId: string; userId: string; rows: NewTarget[] }): Promise<number> {
  if (rows.length === 0) return 0;
  // One by one: the first reads the organization's data key, the rest seal under it in memory.
  const stored: Awaited<ReturnType<typeof storedNumber>>[] = [];
  for (const r of rows) stored.push(await storedNumber(tx, orgId, r.number));
  const inserted = await unlessRefused("", () => tx`
    insert into public.voice_targets (organization_id, name, number, number_hash, time_zone, tags, notes, dnc, created_by)
    select ${orgId}, r.name, r.number, r.number_hash, r.time_zone, array(select jsonb_array_elements_text(r.tags)), r.notes, r.dnc, ${userId}
    from jsonb_to_recordset(${tx.json(rows.map((r, i) => ({ name: r.name, ...stored[i]!, time_zone: r.timeZone, tags: r.tags, notes: r.notes, dnc: r.dnc })))})
      as r (name text, number text, number_hash text, time_zone text, tags jsonb, notes text, dnc boolean)
    on conflict (organization_id, number_hash) do nothing
    returning id`);
  if (inserted.length !== rows.length) {
    // Thrown, so the transaction rolls back what was inserted: all or nothing.
    throw new ConflictError("A number in the file was saved by someone else since the preview. Preview the file again.", "preview_stale");
  }
  const dnc = rows.filter((r) => r.dnc).length;
  await recordOrganizationEvent(tx, { orgId, event: { kind: "targets.imported", subject: null, payload: { created: rows.length, dnc } } });
  return rows.length;
}
