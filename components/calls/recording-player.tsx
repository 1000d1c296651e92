"use client";

import { useState } from "react";
import { apiFetch, errorMessage } from "@/components/shared/api-client";
import type { RecordingSummary, RecordingUrlResponse } from "@/lib/calls/contracts";

/** A stored recording: fetches its short-lived signed URL when someone presses play. */
export function RecordingPlayer({ orgId, callId, recording, duration }: { orgId: string; callId: string; recording: RecordingSummary; duration: string | null }) {
  type State =
    | { kind: "idle" }
    | { kind: "loading" }
    | { kind: "ready"; media: RecordingUrlResponse }
    | { kind: "error"; message: string };
  const [state, setState] = useState<State>({ kind: "idle" });

  // The signed URL is short-lived: fetch it when the person asks, not with the list.
  async function load() {
    setState({ kind: "loading" });
    try {
      const media = await apiFetch<RecordingUrlResponse>(`/api/calls/${encodeURIComponent(callId)}/recording`, { orgId });
      setState({ kind: "ready", media });
    } catch (err) {
      setState({ kind: "error", message: errorMessage(err) });
    }
  }

  if (state.kind === "ready") {
    const sha = state.media.sha256 || recording.sha256 || "";
    return (
      <div className="mt-2 space-y-1">
        {/* Autoplay is what the person just asked for by pressing "Play recording". */}
        <audio data-testid="recording-audio" controls autoPlay preload="auto" src={state.media.url}
          aria-label="Call recording" className="w-full max-w-md"
          onError={() => setState({ kind: "error", message: "The recording link has expired or could not be played." })}>
          Your browser cannot play this recording.
        </audio>
        <p className="flex flex-wrap gap-x-4 text-xs text-muted">
          <span>
            SHA-256{" "}
            <span data-testid="recording-sha256" data-sha256={sha} title={sha} className="font-mono text-ink">
              {sha.length > 16 ? `${sha.slice(0, 12)}…${sha.slice(-4)}` : sha}
            </span>
          </span>
          {duration ? <span>Duration {duration}</span> : null}
        </p>
      </div>
    );
  }

  return (
    <div className="mt-2 flex flex-wrap items-center gap-3">
      <button type="button" onClick={() => void load()} disabled={state.kind === "loading"}
        className="rounded border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-100 disabled:opacity-60">
        Play recording
      </button>
      {state.kind === "loading" ? <span role="status" className="text-xs text-muted">Fetching the recording…</span> : null}
      {state.kind === "error" ? <span role="alert" className="text-xs text-danger">{state.message}</span> : null}
      {duration ? <span className="text-xs text-muted">Duration {duration}</span> : null}
    </div>
  );
}
