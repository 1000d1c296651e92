import "server-only";
import { CsvError, parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { UnprocessableError } from "@/lib/errors";
import { IMPORT_COLUMNS, IMPORT_MAX_ROWS } from "@/lib/targets/contracts";

/**
 * Targets as CSV, both ways, through csv-parse and csv-stringify (the node-csv project): RFC 4180
 * quoting, embedded commas, quotes and line breaks, a byte-order mark. Nothing here splits a line
 * on commas by hand.
 *
 * A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to a
 * spreadsheet (CSV injection): the export puts an apostrophe before it, which spreadsheets show
 * as text, and the import takes one such apostrophe off again, so an export imports as it was
 * (its numbers begin with `+`).
 */

export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

export interface CsvRecord {
  /** The line of the file the record ends on (the header is line 1). */
  row: number;
  cells: Partial<Record<ImportColumn, string>>;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** What the export writes for a cell a spreadsheet would run. */
export function guardCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** What the import reads from a guarded cell. */
export function unguardCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

function malformed(message: string, code = "csv_malformed", details?: Record<string, unknown>): UnprocessableError {
  return new UnprocessableError(message, code, details);
}

/**
 * The import file's records by column. The header names the columns (any order, any case):
 * `name` and `number` are required; `time_zone`, `tags`, `notes` and `dnc` may be left out; any
 * other column is refused, so that a misspelt one does not drop its data silently. 422 for a
 * file that is not CSV, has no header or no rows, or has more than IMPORT_MAX_ROWS rows.
 */
export function parseImportCsv(text: string): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      // The header, the most rows allowed, and one more to know there were more.
      to: IMPORT_MAX_ROWS + 2,
      max_record_size: 16 * 1024,
    }) as unknown as typeof parsed;
  } catch (err) {
    if (err instanceof CsvError) {
      throw malformed(`The file is not CSV this import can read: ${err.message}`, "csv_malformed", { csvCode: err.code });
    }
    throw err;
  }
  const [header, ...rows] = parsed;
  if (!header) throw malformed("The file is empty. Its first line names the columns: name,number,time_zone,tags,notes,dnc.", "csv_empty");
  const columns = header.record.map((c) => unguardCell(c).trim().toLowerCase());
  const unknown = columns.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
  const missing = (["name", "number"] as const).filter((c) => !columns.includes(c));
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (unknown.length || missing.length || repeated.length) {
    const problems = [
      missing.length ? `missing ${missing.join(", ")}` : null,
      unknown.length ? `unknown ${unknown.map((c) => JSON.stringify(c)).join(", ")}` : null,
      repeated.length ? `repeated ${[...new Set(repeated)].join(", ")}` : null,
    ].filter(Boolean);
    throw malformed(
      `The first line must name the columns (${problems.join("; ")}). Use ${IMPORT_COLUMNS.join(",")}; name and number are required.`,
      "csv_header",
      { missing, unknown, repeated },
    );
  }
  if (rows.length === 0) throw malformed("The file has a header but no targets.", "csv_empty");
  if (rows.length > IMPORT_MAX_ROWS) {
    throw malformed(`The file has more than ${IMPORT_MAX_ROWS} targets. Split it into files of at most ${IMPORT_MAX_ROWS} rows.`, "too_many_rows", { maxRows: IMPORT_MAX_ROWS });
  }
  return rows.map(({ record, info }) => {
    const cells: CsvRecord["cells"] = {};
    columns.forEach((column, i) => {
      cells[column as ImportColumn] = unguardCell(record[i] ?? "");
    });
    return { row: info.lines, cells };
  });
}

export interface ExportRow {
  name: string;
  number: string;
  timeZone: string;
  tags: string[];
  notes: string;
  dnc: boolean;
  dncSetAt: string | null;
}

/** The export: the import's columns (so it imports again) and when the mark was last changed. */
export function stringifyTargets(rows: ExportRow[]): string {
  return stringify(
    rows.map((r) => [r.name, r.number, r.timeZone, r.tags.join(";"), r.notes, r.dnc ? "yes" : "no", r.dncSetAt ?? ""].map(guardCell)),
    { header: true, columns: [...IMPORT_COLUMNS, "dnc_set_at"], bom: false, record_delimiter: "\r\n" },
  );
}
