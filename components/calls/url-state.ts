"use client";

import { useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";

/**
 * The page's state lives in its URL (docs/adr/0021): `?call=<id>` is the selected call, and the
 * call list's filters are the same query parameters `GET /api/calls` takes. A link is shareable,
 * survives a reload, and back/forward walks through selections. Writes go through the History
 * API, which Next's router follows (useSearchParams updates) without a server round trip.
 *
 * The names mirror CALL_FILTER_KEYS (lib/calls/contracts.ts), repeated here so that zod stays
 * out of the page's first load; tests/unit/url-state.test.ts holds the two lists equal.
 */
export const FILTER_KEYS = ["status", "flow", "from", "to", "has", "scoreMin", "scoreMax", "script", "survey", "campaign", "tag", "criterion", "answer", "number", "q"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

interface ParamsLike {
  get(name: string): string | null;
}

/** The filters a URL names, trimmed, empty ones dropped. */
export function filtersOf(params: ParamsLike): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

/** `status=completed%2Cfailed&q=refund`: the filters in a fixed order (one cache key per filter set). */
export function filterQuery(filters: Filters): string {
  const out = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) out.set(key, value);
  }
  return out.toString();
}

/** The page's URL for a selection and a filter set (`/` when neither). */
export function pageHref(callId: string | null, filters: Filters): string {
  const query = filterQuery(filters);
  const parts = [callId ? `call=${encodeURIComponent(callId)}` : "", query].filter(Boolean);
  return parts.length > 0 ? `/?${parts.join("&")}` : "/";
}

export function activeFilterCount(filters: Filters): number {
  return FILTER_KEYS.filter((k) => filters[k]).length;
}

export interface UrlState {
  callId: string | null;
  filters: Filters;
  /** `filterQuery(filters)`: part of the call list's SWR key. */
  query: string;
  /** Select a call (a new history entry, so Back returns to the previous selection). */
  select: (callId: string | null) => void;
  /** Replace the filters; the selection stays. `replace` for typing, `push` for discrete choices. */
  setFilters: (filters: Filters, mode?: "push" | "replace") => void;
}

function normalised(search: string): string {
  return new URLSearchParams(search).toString();
}

export function useUrlState(): UrlState {
  const params = useSearchParams();
  const urlSearch = params.toString();
  // Next's router applies a History API change in a transition, a moment after the event: until
  // it has, show the URL this component wrote, so a ticked box stays ticked. The URL wins as soon
  // as it shows the last write, or anything this component did not write (Back, another writer).
  const [pending, setPending] = useState<{ search: string; via: string[] } | null>(null);
  if (pending && (urlSearch === pending.search || !pending.via.includes(urlSearch))) setPending(null);
  const search = pending && urlSearch !== pending.search && pending.via.includes(urlSearch) ? pending.search : urlSearch;

  const callId = new URLSearchParams(search).get("call") || null;
  // Recomputed only when the URL changes: the filters object is stable between renders.
  const filters = useMemo(() => filtersOf(new URLSearchParams(search)), [search]);
  const query = filterQuery(filters);

  const go = useCallback((href: string, mode: "push" | "replace") => {
    if (href === window.location.pathname + window.location.search) return;
    const before = normalised(window.location.search);
    const written = normalised(href.split("?")[1] ?? "");
    // Every URL between the router's and this one is on the way (several quick changes).
    setPending((p) => ({ search: written, via: [...(p?.via ?? []), before, written] }));
    if (mode === "replace") window.history.replaceState(null, "", href);
    else window.history.pushState(null, "", href);
  }, [setPending]);

  const select = useCallback((id: string | null) => {
    go(pageHref(id, filtersOf(new URLSearchParams(window.location.search))), "push");
  }, [go]);

  const setFilters = useCallback((next: Filters, mode: "push" | "replace" = "push") => {
    go(pageHref(new URLSearchParams(window.location.search).get("call") || null, next), mode);
  }, [go]);

  return { callId, filters, query, select, setFilters };
}
