"use client";

import { useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";

/**
 * The page's state lives in its URL (docs/adr/0021): `?call=<id>` is the selected call, and the
 * call list's filters are the same query parameters `GET /api/calls` takes. A link is shareable,
 * survives a reload, and back/forward walks through selections. Writes go through the History
 * API, which Next's router follows (useSearchParams updates) without a server round trip.
 *
 * The names mirror CALL_FILTER_KEYS (lib/calls/contracts.ts), repeated here so that zod stays
 * out of the page's first load; tests/unit/url-state.test.ts holds the two lists equal.
 */
export const FILTER_KEYS = ["status", "flow", "from", "to", "has", "scoreMin", "scoreMax", "script", "survey", "number", "q"] as const;
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

export function useUrlState(): UrlState {
  const params = useSearchParams();
  const callId = params.get("call") || null;
  const search = params.toString();
  // Recomputed only when the URL changes: the filters object is stable between renders.
  const filters = useMemo(() => filtersOf(new URLSearchParams(search)), [search]);
  const query = filterQuery(filters);

  const select = useCallback((id: string | null) => {
    const href = pageHref(id, filtersOf(new URLSearchParams(window.location.search)));
    if (href !== window.location.pathname + window.location.search) window.history.pushState(null, "", href);
  }, []);

  const setFilters = useCallback((next: Filters, mode: "push" | "replace" = "push") => {
    const current = new URLSearchParams(window.location.search);
    const href = pageHref(current.get("call") || null, next);
    if (href === window.location.pathname + window.location.search) return;
    if (mode === "replace") window.history.replaceState(null, "", href);
    else window.history.pushState(null, "", href);
  }, []);

  return { callId, filters, query, select, setFilters };
}
