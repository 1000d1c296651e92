import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CallList } from "@/components/calls/list";
import type { Filters, UrlState } from "@/components/calls/url-state";
import type { CallListResponse } from "@/lib/calls/contracts";

/**
 * The call list's header as the server renders it with the API's first page: "about N matches"
 * when a filter matches more calls than the page shows, never unfiltered or when the page holds
 * them all (then the count beside it is exact already).
 */
const call: CallListResponse["calls"][number] = {
  id: "0b8f6f8e-6f61-4f7a-9d4e-6a1f3c2b9e01", status: "completed", flow: "direct", to: "+14155550123", from: "+15550100000",
  createdAt: "2026-12-01T10:00:00.000Z", updatedAt: "2026-12-01T10:05:00.000Z", answeredAt: null, endedAt: null, durationSeconds: 30,
  modulations: { record: true, transcribe: true, translate: false, survey: false, shopperScript: false }, dialError: null, recording: null,
};

function header(filters: Filters, page: Partial<CallListResponse>): string {
  const query = new URLSearchParams(filters as Record<string, string>).toString();
  const url: UrlState = { callId: null, filters, query, select: () => {}, setFilters: () => {} };
  const html = renderToString(createElement(CallList, { orgId: "org", url, initialCalls: { calls: [call], nextBefore: null, matches: null, ...page } }));
  return html.match(/data-testid="match-estimate"[^>]*>([^<]*)</)?.[1] ?? "";
}

describe("the call list's estimate of the matches", () => {
  it("says about how many calls a filter matches when it shows only some", () => {
    expect(header({ q: "refund" }, { nextBefore: "next", matches: { about: 212_734, exact: false } })).toBe("about 210,000 matches (estimated)");
    expect(header({ scoreMin: "90" }, { nextBefore: "next", matches: { about: 4_686, exact: true } })).toBe("4,686 matches in all");
  });

  it("says nothing unfiltered, or when the page holds every match", () => {
    expect(header({}, { nextBefore: "next", matches: null })).toBe("");
    expect(header({ q: "refund" }, { nextBefore: null, matches: { about: 1, exact: true } })).toBe("");
  });
});
