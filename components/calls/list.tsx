"use client";

import { lazy, Suspense, useEffect, useRef, useState, type MouseEvent } from "react";
import useSWRInfinite from "swr/infinite";
import { ApiError, callPagesKey, errorMessage, swrFetcher } from "@/components/shared/api-client";
import { formatTime, Highlighted, languageName, StatusBadge } from "@/components/calls/parts";
import { useHydrated } from "@/components/shared/use-hydrated";
import { activeFilterCount, pageHref, type UrlState } from "@/components/calls/url-state";
import { matchEstimateText } from "@/components/calls/match-estimate";
import type { CallListResponse, CallSummary, VoiceConfigResponse } from "@/lib/calls/contracts";
import { STATUS_LABEL, type CallStatus } from "@/lib/calls/state-machine";

type ListedCall = CallListResponse["calls"][number];

const MODULATION_LABEL: Record<keyof CallSummary["modulations"], string> = {
  record: "Recorded",
  transcribe: "Transcribed",
  translate: "Translated",
  survey: "Survey",
  shopperScript: "Shopper script",
};

// The filter bar loads after the list (server-rendered on first paint all the same).
const CallFilters = lazy(() => import("@/components/calls/filters").then((m) => ({ default: m.CallFilters })));

// The bulk evidence export: its own chunk, loaded only for members who may export.
const BulkExport = lazy(() => import("@/components/calls/bulk-export"));

/**
 * One call: a link that selects it (`?call=<id>`, the detail opens beside the list). A plain
 * link, so it also opens in a new tab; a plain click selects in place. What the call became
 * (recording, transcript, answers, evidence) is in the detail panel, not here.
 */
function CallRow({ call, selected, href, onSelect, local }: {
  call: ListedCall;
  selected: boolean;
  href: string;
  onSelect: (id: string) => void;
  local: boolean;
}) {
  const modulations = (Object.keys(MODULATION_LABEL) as (keyof CallSummary["modulations"])[]).filter((m) => call.modulations[m]);
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onSelect(call.id);
  };
  return (
    <li data-call-id={call.id} data-selected={selected ? "true" : undefined}>
      <a href={href} onClick={click} aria-current={selected ? "true" : undefined} data-testid="call-row-link"
        className={`block border-l-4 px-4 py-3 hover:bg-slate-50 focus-visible:bg-slate-50 ${selected ? "border-accent bg-blue-50" : "border-transparent"}`}>
        <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <span className="font-mono text-sm font-medium">{call.to}</span>
          <StatusBadge status={call.status} />
          <span className="text-xs capitalize text-muted">{call.flow}</span>
          <time dateTime={call.createdAt} className="ml-auto text-xs text-muted">{formatTime(call.createdAt, local)}</time>
        </span>
        <span className="mt-1 flex flex-wrap gap-1.5" aria-label="Modulations">
          {modulations.length === 0 ? (
            <span className="text-xs text-muted">No modulations</span>
          ) : (
            modulations.map((m) => (
              <span key={m} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{MODULATION_LABEL[m]}</span>
            ))
          )}
        </span>
        {call.dialError ? (
          <span className="mt-2 block text-sm text-danger">
            <span className="font-medium">Dial error:</span> {call.dialError.message}
          </span>
        ) : null}
        {call.match ? (
          <span className="mt-2 block rounded bg-slate-50 px-2 py-1 text-xs text-slate-800" data-testid="search-match">
            <span className="font-medium text-muted">
              {call.match.source === "transcript" ? "Transcript" : `${languageName(call.match.language)} translation`}:{" "}
            </span>
            <Highlighted fragments={call.match.fragments} />
          </span>
        ) : null}
      </a>
    </li>
  );
}

function announce(previous: Map<string, CallStatus>, calls: CallSummary[]): string[] {
  const lines: string[] = [];
  for (const call of calls) {
    const before = previous.get(call.id);
    if (before === call.status) continue;
    lines.push(`Call to ${call.to}: ${STATUS_LABEL[call.status]}.`);
  }
  return lines;
}

/**
 * Calls, newest first, narrowed by the filters in the URL (the SWR key carries them) and
 * refreshed by live updates (use-realtime revalidates the key on screen). A row selects a call.
 */
export function CallList({
  orgId,
  initialCalls,
  capabilities,
  url,
}: {
  orgId: string;
  /** The server's first page for the URL's filters at first paint; not reused for other filters. */
  initialCalls?: CallListResponse;
  capabilities?: VoiceConfigResponse["capabilities"];
  url: UrlState;
}) {
  const local = useHydrated();
  const [announcement, setAnnouncement] = useState("");
  const seen = useRef<{ query: string; statuses: Map<string, CallStatus> } | null>(null);
  const { filters, query, callId, select, setFilters } = url;
  const currentQuery = useRef(query);
  useEffect(() => {
    currentQuery.current = query;
  }, [query]);
  // The server's page belongs to the filters it was rendered for; another filter set waits for its own.
  const [firstQuery] = useState(query);
  const fallback = initialCalls && query === firstQuery ? [initialCalls] : undefined;

  const { data, error, size, setSize, isLoading, isValidating, mutate } = useSWRInfinite<CallListResponse, ApiError>(
    callPagesKey(orgId, query),
    swrFetcher,
    {
      fallbackData: fallback,
      // A live update may concern a call on any loaded page, so every page refetches.
      revalidateAll: true,
      onSuccess: (pages) => {
        const calls = pages.flatMap((p) => p.calls);
        const previous = seen.current;
        seen.current = { query: currentQuery.current, statuses: new Map(calls.map((c) => [c.id, c.status])) };
        // The first load of a filter set is not news; changes after it are announced.
        if (previous && previous.query === currentQuery.current) {
          const lines = announce(previous.statuses, calls);
          if (lines.length > 0) setAnnouncement(lines.slice(0, 3).join(" "));
        }
      },
    },
  );

  const byId = new Map<string, ListedCall>();
  for (const page of data ?? []) for (const call of page?.calls ?? []) if (!byId.has(call.id)) byId.set(call.id, call);
  const calls = [...byId.values()];
  const lastPage = data?.at(-1);
  const loadingMore = size > 0 && data !== undefined && data[size - 1] === undefined;
  const filtered = activeFilterCount(filters) > 0;
  // How many match in all, when the list shows only some: the first page's estimate (or count).
  const estimate = filtered && lastPage?.nextBefore ? matchEstimateText(data?.[0]?.matches) : null;
  const canPlace = capabilities?.["calls.place"].allowed ?? false;
  const clear = () => setFilters({}, "push");

  return (
    <section aria-labelledby="call-list-heading" className="min-w-0 rounded-lg border border-slate-200 bg-white shadow-sm">
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-3">
        <h2 id="call-list-heading" tabIndex={-1} className="text-base font-semibold">Calls</h2>
        <div className="flex items-center gap-3">
          <span className="text-xs text-muted" data-testid="call-count">
            {isValidating && data ? "Refreshing… " : ""}
            {data && calls.length > 0
              ? `${calls.length}${lastPage?.nextBefore ? "+" : ""} ${calls.length === 1 && !lastPage?.nextBefore ? (filtered ? "call matches" : "call") : filtered ? "calls match" : "calls"}`
              : null}
          </span>
          {estimate ? <span className="text-xs text-muted" data-testid="match-estimate">{estimate}</span> : null}
          {capabilities?.["evidence.export"].allowed ? <Suspense><BulkExport orgId={orgId} filter={filters} /></Suspense> : null}
        </div>
      </div>
      <Suspense fallback={<div className="h-24 border-b border-slate-200" aria-hidden="true" />}>
        <CallFilters orgId={orgId} filters={filters} onChange={setFilters} capabilities={capabilities} />
      </Suspense>
      <div aria-live="polite" className="sr-only" data-testid="call-announcer">{announcement}</div>

      {error ? (
        <div role="alert" className="m-4 rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
          <p>{data ? "Could not refresh the calls" : "Could not load the calls"}: {errorMessage(error)}</p>
          <div className="mt-2 flex gap-2">
            <button type="button" onClick={() => void mutate()}
              className="rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-100">
              Retry
            </button>
            {filtered && error.status === 400 ? (
              <button type="button" onClick={clear} className="rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-100">
                Clear filters
              </button>
            ) : null}
          </div>
        </div>
      ) : null}

      {!data && isLoading ? (
        <p role="status" className="px-4 py-6 text-sm text-muted">Loading calls…</p>
      ) : data && calls.length === 0 && filtered && !error ? (
        <div className="px-4 py-6 text-sm" data-testid="no-matches">
          <p>No calls match these filters.</p>
          <button type="button" onClick={clear} className="mt-2 rounded border border-slate-400 bg-white px-3 py-1 font-medium hover:bg-slate-100">
            Clear filters
          </button>
        </div>
      ) : data && calls.length === 0 && !error ? (
        <p className="px-4 py-6 text-sm text-muted">
          No calls yet. {canPlace ? "Place one with the form beside this list; it" : "Calls placed in this organization"} will appear here.
        </p>
      ) : calls.length > 0 ? (
        <ol aria-label="Calls, newest first" className="divide-y divide-slate-100">
          {calls.map((call) => (
            <CallRow key={call.id} call={call} selected={call.id === callId} href={pageHref(call.id, filters)} onSelect={select} local={local} />
          ))}
        </ol>
      ) : null}

      {lastPage?.nextBefore ? (
        <div className="border-t border-slate-200 px-4 py-3">
          <button type="button" onClick={() => void setSize(size + 1)} disabled={loadingMore}
            className="rounded border border-slate-400 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-60">
            {loadingMore ? "Loading older calls…" : "Load older"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
