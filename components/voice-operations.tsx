"use client";

import type { ReactNode } from "react";
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
    </div>
  );
}
