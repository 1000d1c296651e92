import "server-only";
import { stringify } from "csv-stringify/sync";
import { guardCell } from "@/lib/targets/csv";
import type { ResultRow } from "@/lib/campaigns/queries";

/** A campaign's results, one row per target; every cell a spreadsheet would run as a formula is guarded as the targets export guards it. */
export function stringifyResults(rows: ResultRow[]): string {
  return stringify(
    rows.map((r) => [r.name, r.number, r.state, String(r.attempts), r.lastOutcome ?? "", r.callIds.join(";"), r.score === null ? "" : String(r.score)].map(guardCell)),
    { header: true, columns: ["name", "number", "state", "attempts", "last_outcome", "call_ids", "score"], bom: false, record_delimiter: "\r\n" },
  );
}
