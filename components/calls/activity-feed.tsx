"use client";

import { useId, type MouseEvent } from "react";
import useSWRInfinite from "swr/infinite";
import { activityPagesKey, errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import type { ActivityEvent, ActivityResponse } from "@/lib/activity/contracts";
import { formatTime } from "@/components/calls/parts";
import { useHydrated } from "@/components/shared/use-hydrated";

/**
 * The organization's activity, newest first: what happened on its calls, evidence sealed,
 * evidence viewed, exported or verified, and (for owners and admins) who changed the settings,
 * the members and the invitations; those have no call to link to. Live: the realtime hook
 * revalidates `activityKey(orgId)` on every notice. Self-contained and loadable on its own.
 */

/** Text/background pairs well above WCAG AA; the label (the API's `label`) is the text, so colour is never the only signal. */
const SOURCE_STYLE: Record<ActivityEvent["source"], string> = {
  call: "border-slate-300 bg-slate-100 text-slate-800",
  evidence: "border-emerald-300 bg-emerald-50 text-emerald-900",
  custody: "border-violet-300 bg-violet-50 text-violet-900",
  organization: "border-amber-300 bg-amber-50 text-amber-900",
};

export interface ActivityFeedProps {
  orgId: string;
  /** Open a call in the page (the link's href, `?call=<id>`, is the fallback without it). */
  onSelectCall?: (callId: string) => void;
}

export function ActivityFeed({ orgId, onSelectCall }: ActivityFeedProps) {
  const headingId = useId();
  const local = useHydrated();
  const { data, error, size, setSize, isLoading, isValidating, mutate } = useSWRInfinite<ActivityResponse, ApiError>(
    activityPagesKey(orgId),
    swrFetcher,
    // New events shift every page: a live update refetches all loaded pages.
    { revalidateAll: true },
  );
  const events = data?.flatMap((p) => p.events) ?? [];
  const more = Boolean(data?.at(-1)?.nextBefore);
  const loadingMore = size > 0 && data !== undefined && data.length < size;

  function select(event: MouseEvent<HTMLAnchorElement>, callId: string) {
    if (!onSelectCall || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onSelectCall(callId);
  }

  const retry = (
    <button type="button" onClick={() => void mutate()}
      className="mt-2 rounded border border-slate-300 bg-white px-3 py-1 text-sm font-medium text-ink hover:bg-slate-100">
      Retry
    </button>
  );

  return (
    <section aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={headingId} className="text-base font-semibold">Activity</h2>
      {error && events.length === 0 ? (
        <div role="alert" className="mt-3 rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
          <p>Could not load the activity: {errorMessage(error)}</p>
          {retry}
        </div>
      ) : isLoading && !data ? (
        <p role="status" className="mt-3 text-sm text-muted">Loading activity…</p>
      ) : events.length === 0 ? (
        <div className="mt-3 text-sm text-muted">
          <p role="status">No activity yet. Calls placed, evidence sealed and evidence exported appear here.</p>
          <button type="button" onClick={() => void mutate()} disabled={isValidating}
            className="mt-2 rounded border border-slate-300 bg-white px-3 py-1 font-medium text-ink hover:bg-slate-100 disabled:opacity-60">
            {isValidating ? "Checking…" : "Check again"}
          </button>
        </div>
      ) : (
        <>
          <ol aria-label="Activity" className="mt-3 divide-y divide-slate-100 text-sm">
            {events.map((e) => (
              <li key={e.id} data-testid="activity-event" className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2">
                <time dateTime={e.occurredAt} className="w-44 shrink-0 text-xs text-muted tabular-nums">{formatTime(e.occurredAt, local, true)}</time>
                <span className={`rounded border px-1.5 py-0.5 text-xs font-medium ${SOURCE_STYLE[e.source]}`}>{e.label}</span>
                <span className="min-w-0 flex-1">{e.summary}</span>
                {e.callId ? (
                  <a href={`?call=${encodeURIComponent(e.callId)}`} onClick={(ev) => select(ev, e.callId!)}
                    className="font-mono text-xs text-accent underline underline-offset-2 hover:text-blue-900">
                    {e.number ?? "Call"}<span className="sr-only">: open the call</span>
                  </a>
                ) : null}
              </li>
            ))}
          </ol>
          {error ? (
            <div role="alert" className="mt-2 text-sm text-danger">
              <p>Could not load more: {errorMessage(error)}</p>
              {retry}
            </div>
          ) : null}
          {more ? (
            <button type="button" onClick={() => void setSize(size + 1)} disabled={loadingMore} aria-busy={loadingMore}
              className="mt-3 rounded border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-100 disabled:opacity-60">
              {loadingMore ? "Loading…" : "Load older"}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
