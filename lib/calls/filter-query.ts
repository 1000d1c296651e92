import type { CallFilter } from "@/lib/calls/contracts";

/**
 * A parsed call filter (what the page holds) back in its query-string form, for a request body
 * or a URL: lists joined with commas, empty values left out. No zod here: lazy client chunks
 * (the bulk export dialog) use it without pulling the schemas in.
 */
export function callFilterQuery(filter: CallFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter) as [string, unknown][]) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length > 0) out[key] = value.join(",");
    } else out[key] = String(value);
  }
  return out;
}
