import { describe, expect, it } from "vitest";
import { callListKey, callPagesKey } from "@/components/shared/api-client";
import { activeFilterCount, FILTER_KEYS, filterQuery, filtersOf, pageHref } from "@/components/calls/url-state";
import { CALL_FILTER_KEYS, callFilterSchema } from "@/lib/calls/contracts";

/**
 * The page's URL state (docs/adr/0021): the filter names the page writes are the list API's,
 * in one fixed order (one cache key per filter set), and the list's SWR key carries them, so
 * the key live updates revalidate is the filtered list on screen.
 */
describe("URL state", () => {
  it("names exactly the list API's filters, in the contract's order", () => {
    expect([...FILTER_KEYS]).toEqual(CALL_FILTER_KEYS);
  });

  it("writes filters in a fixed order whatever order they were set in, dropping empty ones", () => {
    expect(filterQuery({ q: "refund", status: "completed,failed", flow: "" })).toBe("status=completed%2Cfailed&q=refund");
    expect(filterQuery({ status: "completed,failed", q: "refund" })).toBe(filterQuery({ q: "refund", status: "completed,failed" }));
    expect(filterQuery({})).toBe("");
  });

  it("reads back what it writes, and what it writes the API accepts", () => {
    const filters = { status: "completed", from: "2026-11-01", to: "2026-11-30", has: "recording,transcript", scoreMin: "50", number: "555", q: "cita" };
    const read = filtersOf(new URLSearchParams(filterQuery(filters)));
    expect(read).toEqual(filters);
    expect(callFilterSchema.safeParse(read).success).toBe(true);
    expect(activeFilterCount(read)).toBe(7);
  });

  it("ignores parameters that are not filters (the selected call among them)", () => {
    expect(filtersOf(new URLSearchParams("call=abc&utm=x&q=%20hi%20"))).toEqual({ q: "hi" });
  });

  it("links a selection with the filters kept, and / for neither", () => {
    expect(pageHref("0b7f", { q: "x y" })).toBe("/?call=0b7f&q=x+y");
    expect(pageHref(null, { flow: "bridge" })).toBe("/?flow=bridge");
    expect(pageHref(null, {})).toBe("/");
  });

  it("keys the list by its filters: each filter set is its own list, and live updates name it", () => {
    const query = filterQuery({ status: "completed" });
    expect(callPagesKey("org", query)(0, null)).toEqual(["/api/calls?status=completed&limit=50", "org"]);
    expect(callPagesKey("org", query)(1, { calls: [], nextBefore: "abc", matches: null })).toEqual(["/api/calls?status=completed&before=abc&limit=50", "org"]);
    expect(callPagesKey("org")(0, null)).toEqual(["/api/calls?limit=50", "org"]);
    expect(callListKey("org", query)).not.toBe(callListKey("org"));
    expect(callListKey("org", query)).toBe(callListKey("org", filterQuery({ status: "completed" })));
  });
});
