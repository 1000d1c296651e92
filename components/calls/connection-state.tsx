"use client";

import type { ConnectionState as RealtimeState } from "@/lib/realtime/client";

const VIEW: Record<RealtimeState, { label: string; hint: string; dot: string; text: string }> = {
  connecting: {
    label: "Connecting…",
    hint: "Connecting to live updates.",
    dot: "bg-slate-400",
    text: "text-muted",
  },
  live: {
    label: "Live",
    hint: "Call statuses update as they happen.",
    dot: "bg-green-600",
    text: "text-green-800",
  },
  reconnecting: {
    label: "Reconnecting…",
    hint: "Live updates paused; retrying. The list refreshes when the connection is back.",
    dot: "bg-amber-500",
    text: "text-amber-900",
  },
  offline: {
    label: "Offline",
    hint: "No live updates. Still retrying; the list refreshes when the connection is back.",
    dot: "bg-red-600",
    text: "text-red-800",
  },
};

/** The live-update connection, in words (the dot is decoration, never the only signal). */
export function ConnectionState({ state }: { state: RealtimeState }) {
  const view = VIEW[state];
  return (
    <p role="status" data-testid="connection-state" data-state={state} title={view.hint}
      className={`inline-flex items-center gap-2 rounded-full border border-slate-200 bg-white px-3 py-1 text-sm font-medium ${view.text}`}>
      <span aria-hidden="true" className={`inline-block h-2 w-2 rounded-full ${view.dot}`} />
      {view.label}
      <span className="sr-only">: {view.hint}</span>
    </p>
  );
}
