import "server-only";
import { createHash } from "node:crypto";
import type { Tx } from "@/lib/db";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { ConflictError, ForbiddenError } from "@/lib/errors";
import type { Membership } from "@/lib/rbac/membership";
import { allows, whoMay } from "@/lib/rbac/policy";
import { MAX_TAGS, normalizeTag, normalizeTimeZone, type ImportPreview, type ImportRefusal, type ImportRow, type RefusedRow } from "@/lib/targets/contracts";
import { parseImportCsv, type CsvRecord } from "@/lib/targets/csv";
import { deriveTimeZone, e164Of } from "@/lib/targets/numbers";
import { savedNumbers } from "@/lib/targets/queries";
import { insertTargets } from "@/lib/targets/targets";

/**
 * Importing targets from CSV (docs/adr/0033). A preview reads the file, checks every row against
 * the file and the organization's saved targets, and answers the rows it would save, the rows it
 * refuses with the reason for each, and a token: the SHA-256 of the organization and of that
 * answer (canonical JSON). It writes nothing. A commit sends the same file and the token; the
 * preview is made again in the commit's transaction, and only when its token is the same (same
 * file, same outcome against what is saved now) are its rows saved, all at once. Otherwise 409
 * `preview_stale` and nothing changes.
 */

const DNC_VALUES: Record<string, boolean> = { "": false, yes: true, no: false, y: true, n: false, true: true, false: false, "1": true, "0": false };

type Checked = { ok: ImportRow } | { refused: RefusedRow };

function refusal(record: CsvRecord, code: ImportRefusal, reason: string): Checked {
  return { refused: { row: record.row, code, reason, name: (record.cells.name ?? "").trim(), number: (record.cells.number ?? "").trim() } };
}

/** One row on its own: everything but duplicates and what is saved already. */
async function checkRow(record: CsvRecord): Promise<Checked> {
  const c = record.cells;
  const name = (c.name ?? "").trim();
  if (!name) return refusal(record, "missing_name", "The row has no name.");
  if (name.length > 200) return refusal(record, "bad_name", "The name is longer than 200 characters.");
  const rawNumber = (c.number ?? "").trim();
  const number = rawNumber ? e164Of(rawNumber) : null;
  if (!number) {
    return refusal(record, "bad_number", rawNumber
      ? `${JSON.stringify(rawNumber)} is not a valid phone number in international form, such as +14155550100.`
      : "The row has no number.");
  }
  const givenZone = (c.time_zone ?? "").trim();
  let timeZone: string | null;
  let timeZoneDerived = false;
  if (givenZone) {
    timeZone = normalizeTimeZone(givenZone);
    if (!timeZone) return refusal(record, "unknown_time_zone", `${JSON.stringify(givenZone)} is not an IANA time zone such as America/New_York.`);
  } else {
    timeZone = await deriveTimeZone(number);
    timeZoneDerived = true;
    if (!timeZone) return refusal(record, "time_zone_required", `The time zone of ${number} cannot be told from the number: give it in time_zone.`);
  }
  const tags = [...new Set((c.tags ?? "").split(/[;|]/).map(normalizeTag).filter(Boolean))];
  if (tags.length > MAX_TAGS) return refusal(record, "bad_tags", `At most ${MAX_TAGS} tags (the row has ${tags.length}).`);
  const long = tags.find((t) => t.length > 50);
  if (long) return refusal(record, "bad_tags", `The tag ${JSON.stringify(long.slice(0, 60))} is longer than 50 characters.`);
  const notes = c.notes ?? "";
  if (notes.length > 2000) return refusal(record, "bad_notes", "The notes are longer than 2000 characters.");
  const dncText = (c.dnc ?? "").trim().toLowerCase();
  const dnc = DNC_VALUES[dncText];
  if (dnc === undefined) return refusal(record, "bad_dnc", `dnc is ${JSON.stringify(c.dnc)}: write yes or no (or leave it empty).`);
  return { ok: { row: record.row, name, number, timeZone, timeZoneDerived, tags, notes, dnc } };
}

/** The preview: every row saved or refused, by row, and its token. Reads only. */
export async function previewImport(tx: Tx, { orgId, csv }: { orgId: string; csv: string }): Promise<Omit<ImportPreview, "mode">> {
  const records = parseImportCsv(csv);
  const checked: Checked[] = [];
  for (const record of records) checked.push(await checkRow(record));

  // A zone Intl knows but this Postgres does not would fail the insert: ask it, once per zone.
  const zones = [...new Set(checked.flatMap((c) => ("ok" in c ? [c.ok.timeZone] : [])))];
  const known = new Set(
    (await tx<{ zone: string }[]>`select z as zone from unnest(${zones}::text[]) z where private.is_time_zone(z)`).map((r) => r.zone),
  );
  const firstRow = new Map<string, number>();
  for (const [i, c] of checked.entries()) {
    if (!("ok" in c)) continue;
    const record = records[i]!;
    const seen = firstRow.get(c.ok.number);
    if (seen !== undefined) {
      checked[i] = refusal(record, "duplicate_in_file", `${c.ok.number} is also on row ${seen} of the file.`);
      continue;
    }
    firstRow.set(c.ok.number, c.ok.row);
    if (!known.has(c.ok.timeZone)) checked[i] = refusal(record, "unknown_time_zone", `${JSON.stringify(c.ok.timeZone)} is not a time zone the database knows.`);
  }
  const saved = await savedNumbers(tx, { orgId, numbers: checked.flatMap((c) => ("ok" in c ? [c.ok.number] : [])) });
  for (const [i, c] of checked.entries()) {
    if ("ok" in c && saved.has(c.ok.number)) {
      checked[i] = refusal(records[i]!, "already_saved", `${c.ok.number} is already saved as ${JSON.stringify(saved.get(c.ok.number))}.`);
    }
  }
  const rows = checked.flatMap((c) => ("ok" in c ? [c.ok] : []));
  const refused = checked.flatMap((c) => ("refused" in c ? [c.refused] : []));
  const token = createHash("sha256").update(canonicalJson({ kind: "verbatim.targets.import.v1", orgId, rows, refused })).digest("hex");
  return { token, rows, refused };
}

/**
 * Save exactly what the preview named by `token` showed (the caller holds `target.write`):
 * 409 `preview_stale` when the preview made now differs.
 */
export async function commitImport(
  tx: Tx,
  { membership, csv, token }: { membership: Membership; csv: string; token: string },
): Promise<ImportPreview> {
  const { orgId } = membership;
  const preview = await previewImport(tx, { orgId, csv });
  if (preview.token !== token) {
    throw new ConflictError(
      "The file, or the saved targets, changed since this preview: nothing was imported. Preview the file again and import what it shows.",
      "preview_stale",
    );
  }
  if (preview.rows.some((r) => r.dnc) && !allows(membership.role, membership.plan, "target.dnc")) {
    throw new ForbiddenError(`Your role (${membership.role}) does not allow marking targets do-not-call. ${whoMay("target.dnc")} may.`);
  }
  const created = await insertTargets(tx, { orgId, userId: membership.userId, rows: preview.rows });
  return { mode: "commit", ...preview, created };
}
