import type { MatchEstimate } from "@/lib/calls/contracts";

/** Two significant figures for a large estimate (12,345 → 12,000): its digits past those mean nothing. */
export function roundEstimate(n: number): number {
  if (n < 100) return n;
  const unit = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / unit) * unit;
}

/**
 * What the call list says about how many calls match its filters when it shows only some of them
 * (docs/adr/0030): an exact count as a count, an estimate rounded and said to be one. Null when
 * the API gave none (unfiltered, or not the first page).
 */
export function matchEstimateText(matches: MatchEstimate | null | undefined): string | null {
  if (!matches) return null;
  if (matches.exact) return `${matches.about.toLocaleString("en-US")} ${matches.about === 1 ? "match" : "matches"} in all`;
  return `about ${roundEstimate(matches.about).toLocaleString("en-US")} matches (estimated)`;
}
