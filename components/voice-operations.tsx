"use client";

import { lazy, Suspense, useState, type ReactNode } from "react";
import { CallList } from "@/components/call-list";
import { ConnectionState } from "@/components/connection-state";
import { PlaceCallPanel } from "@/components/place-call-panel";
import { useRealtime, type RealtimeTransport } from "@/components/use-realtime";
import type { CallListResponse, VoiceConfigResponse } from "@/lib/calls/contracts";

export interface VoiceOperationsProps {
  /** The organization the page shows; every request names it explicitly. */
  orgId: string;
  /** From `config().realtime`; the Supabase values are the public URL and publishable key. */
  realtime: RealtimeTransport;
  /** Server-fetched data for the first paint; SWR revalidates it on mount. */
  initialConfig?: VoiceConfigResponse;
  initialCalls?: CallListResponse;
  /** The carrier and transcriber in use, rendered on the server (components/carrier-note.tsx). */
  carrierNote?: ReactNode;
}

// The editors load only when someone opens the panel: the page's first load stays within budget.
// (React.lazy rather than next/dynamic: the same code splitting, without next/dynamic's runtime.)
const SurveyLibraryPanel = lazy(() => import("@/components/survey-library-panel").then((m) => ({ default: m.SurveyLibraryPanel })));

function LibrarySection({ orgId }: { orgId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <summary className="cursor-pointer text-base font-semibold">Surveys and shopper scripts</summary>
      <div className="mt-3">
        {open ? (
          <Suspense fallback={<p role="status" className="text-sm text-muted">Loading…</p>}>
            <SurveyLibraryPanel orgId={orgId} />
          </Suspense>
        ) : null}
      </div>
    </details>
  );
}

/**
 * The Voice Operations page's client island: place a call, watch the list, with live updates.
 * Each panel loads and fails on its own, so a broken list never hides the form or vice versa.
 */
export function VoiceOperations({ orgId, realtime, initialConfig, initialCalls, carrierNote }: VoiceOperationsProps) {
  const state = useRealtime({ orgId, transport: realtime });
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-end">
        <ConnectionState state={state} />
      </div>
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,22rem)_minmax(0,1fr)]">
        <PlaceCallPanel orgId={orgId} initialConfig={initialConfig} carrierNote={carrierNote} />
        <CallList orgId={orgId} initialCalls={initialCalls} initialConfig={initialConfig} />
      </div>
      <LibrarySection orgId={orgId} />
    </div>
  );
}
