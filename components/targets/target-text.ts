/**
 * Pure helpers of the targets panel (no React): what a person types, as the targets API reads
 * it. Client-safe and tested in tests/unit/target-text.test.ts.
 */

/** `west, Clinic;north` → `["west", "clinic", "north"]`: commas or semicolons, trimmed, lower case, once each (as the API stores them). */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[,;|]/).map((t) => t.trim().replace(/\s+/g, " ").toLowerCase()).filter(Boolean))];
}

/** One CSV cell, quoted when it must be (RFC 4180). */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A one-row import file for the number alone: a preview of it (which saves nothing) answers the
 * time zone the API derives from the number, or why it cannot, exactly as saving would.
 */
export function zoneProbeCsv(number: string): string {
  return `name,number\r\nprobe,${cell(number.trim())}\r\n`;
}

/** The list's and the export's query string for the panel's filters (empty ones left out). */
export function targetQuery({ q, tags, dnc }: { q: string; tags: string; dnc: "" | "true" | "false" }): string {
  const out = new URLSearchParams();
  if (q.trim()) out.set("q", q.trim());
  const list = parseTags(tags);
  if (list.length > 0) out.set("tag", list.join(","));
  if (dnc) out.set("dnc", dnc);
  return out.toString();
}

/** `2026-12-06T08:20:18.000Z` → `2026-12-06 08:20 UTC`: the same text on every machine. */
export function utcText(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
