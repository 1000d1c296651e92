"use client";

import { lazy, Suspense, useRef, type ReactNode } from "react";
import useSWR from "swr";
import { ApiError, swrFetcher, voiceConfigKey } from "@/components/shared/api-client";
import { CallList } from "@/components/calls/list";
import { ConnectionState } from "@/components/calls/connection-state";
import { PlaceCallPanel } from "@/components/calls/place-call-panel";
import { useRealtime, type RealtimeTransport } from "@/components/calls/use-realtime";
import { useUrlState } from "@/components/calls/url-state";
import type { CallDetail as CallDetailData, CallListResponse, VoiceConfigResponse } from "@/lib/calls/contracts";

export interface VoiceOperationsProps {
  /** The organization the page shows; every request names it explicitly. */
  orgId: string;
  /** From `config().realtime`; the Supabase values are the public URL and publishable key. */
  realtime: RealtimeTransport;
  /** Server-fetched data for the first paint; SWR revalidates it on mount. */
  initialConfig?: VoiceConfigResponse;
  /** The first page of the list for the URL's filters. */
  initialCalls?: CallListResponse;
  /** The URL's selected call as the server read it: the detail, or null when not found. */
  initialDetail?: { id: string; call: CallDetailData | null };
  /** The carrier and transcriber in use, rendered on the server (components/calls/carrier-note.tsx). */
  carrierNote?: ReactNode;
  /** The signed-in member's id (the timeline says "by you"). */
  userId?: string;
}

// The detail (and, inside it, the player, transcript, answers and evidence) loads after the
// page's first load; on first paint the server has rendered it already.
const CallDetail = lazy(() => import("@/components/calls/detail").then((m) => ({ default: m.CallDetail })));

// The organization's activity loads after the page's first load, like the detail.
const ActivityFeed = lazy(() => import("@/components/calls/activity-feed").then((m) => ({ default: m.ActivityFeed })));

/**
 * The Voice Operations page's client island, one page: place a call (left), the calls with
 * their filters (middle), the selected call and the organization's activity (right); stacked
 * on narrower screens. Selection and filters live in the URL. Each panel loads and fails on its
 * own, so a broken list never hides the form, the detail or vice versa.
 */
export function VoiceOperations({ orgId, realtime, initialConfig, initialCalls, initialDetail, carrierNote, userId }: VoiceOperationsProps) {
  const url = useUrlState();
  const state = useRealtime({ orgId, transport: realtime, listQuery: url.query });
  const { data: config } = useSWR<VoiceConfigResponse, ApiError>(voiceConfigKey(orgId), swrFetcher, { fallbackData: initialConfig });
  const capabilities = config?.capabilities;
  const selected = url.callId;
  const detailHeading = useRef<HTMLHeadingElement>(null);
  // Closing removes the control that had focus: keep the person where they were, at the panel.
  const closeDetail = () => {
    url.select(null);
    detailHeading.current?.focus();
  };

  return (
    <div className="space-y-4">
      <div className="flex items-center justify-end">
        <ConnectionState state={state} />
      </div>
      <div className="grid items-start gap-6 xl:grid-cols-[17rem_minmax(0,1fr)_minmax(0,1.2fr)]">
        <PlaceCallPanel orgId={orgId} initialConfig={initialConfig} carrierNote={carrierNote} />
        <CallList orgId={orgId} initialCalls={initialCalls} capabilities={capabilities} url={url} />
        <div className="min-w-0 space-y-6">
          <section aria-labelledby="call-detail-heading" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="call-detail-heading" ref={detailHeading} tabIndex={-1} className="mb-3 text-base font-semibold">Call detail</h2>
            {selected ? (
              <Suspense fallback={<p role="status" className="text-sm text-muted">Loading the call…</p>}>
                <CallDetail key={selected} orgId={orgId} callId={selected} capabilities={capabilities} q={url.filters.q} you={userId}
                  initial={initialDetail?.id === selected ? initialDetail.call : undefined} onClose={closeDetail} />
              </Suspense>
            ) : (
              <p className="text-sm text-muted" data-testid="call-detail-empty">
                Select a call in the list to see what it ran with, its recording and transcript, and its timeline.
              </p>
            )}
          </section>
          <Suspense fallback={<p role="status" className="text-sm text-muted" data-testid="activity-section">Loading the activity…</p>}>
            <ActivityFeed orgId={orgId} onSelectCall={(id) => url.select(id)} />
          </Suspense>
        </div>
      </div>
    </div>
  );
}
