"use client";

import { lazy, Suspense, useRef, useState, useSyncExternalStore } from "react";
import useSWR from "swr";
import useSWRInfinite from "swr/infinite";
import { ApiError, callPagesKey, errorMessage, swrFetcher, voiceConfigKey } from "@/components/call-api";
import type { CallListResponse, CallSummary, VoiceConfigResponse } from "@/lib/calls/contracts";
import { STATUS_LABEL, type CallStatus } from "@/lib/calls/state-machine";

/**
 * Distinct colours per status, each text/background pair well above WCAG AA (4.5:1); the
 * label is always the text, so colour is never the only signal.
 */
const STATUS_STYLE: Record<CallStatus, string> = {
  queued: "border-slate-300 bg-slate-100 text-slate-800",
  initiated: "border-sky-300 bg-sky-100 text-sky-900",
  ringing: "border-amber-300 bg-amber-100 text-amber-900",
  in_progress: "border-indigo-300 bg-indigo-100 text-indigo-900",
  completed: "border-green-300 bg-green-100 text-green-900",
  busy: "border-orange-300 bg-orange-100 text-orange-900",
  no_answer: "border-purple-300 bg-purple-100 text-purple-900",
  failed: "border-red-300 bg-red-100 text-red-900",
  canceled: "border-zinc-300 bg-zinc-200 text-zinc-800",
};

const MODULATION_LABEL: Record<keyof CallSummary["modulations"], string> = {
  record: "Recorded",
  transcribe: "Transcribed",
  translate: "Translated",
  survey: "Survey",
  shopperScript: "Shopper script",
};

const noopSubscribe = () => () => {};

/**
 * False while rendering on the server and hydrating, true after: times are shown in UTC first
 * (identical on both sides) and in the person's own time zone once hydrated, without a
 * hydration mismatch.
 */
function useHydrated(): boolean {
  return useSyncExternalStore(noopSubscribe, () => true, () => false);
}

function formatTime(iso: string, local: boolean): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (!local) return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function formatDuration(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

function StatusBadge({ status }: { status: CallStatus }) {
  return (
    <span data-testid="call-status" data-status={status}
      className={`inline-block rounded-full border px-2.5 py-0.5 text-xs font-semibold ${STATUS_STYLE[status]}`}>
      {STATUS_LABEL[status]}
    </span>
  );
}

// The player (and its request for a signed URL) loads with the first stored recording shown.
const RecordingPlayer = lazy(() => import("@/components/recording-player").then((m) => ({ default: m.RecordingPlayer })));

function RecordingCell({ orgId, call, canPlay }: { orgId: string; call: CallSummary; canPlay: boolean }) {
  const recording = call.recording;
  if (!recording) {
    // Recording details are only sent to people who may play them; say nothing otherwise.
    if (!canPlay || !call.modulations.record) return null;
    return <p className="mt-2 text-xs text-muted">{call.endedAt ? "No recording was received." : "Recording starts when the call is answered."}</p>;
  }
  switch (recording.status) {
    case "stored":
      return canPlay ? (
        <Suspense fallback={<p className="mt-2 text-xs text-muted">Recording stored.</p>}>
          <RecordingPlayer orgId={orgId} callId={call.id} recording={recording} duration={formatDuration(recording.durationSeconds)} />
        </Suspense>
      ) : (
        <p className="mt-2 text-xs text-muted">Recording stored.</p>
      );
    case "pending":
      return <p className="mt-2 text-xs text-muted">Recording processing…</p>;
    case "failed":
      return <p className="mt-2 text-xs text-danger">The recording could not be stored.</p>;
    case "absent":
      return <p className="mt-2 text-xs text-muted">No recording was made.</p>;
    case "missing":
      return <p className="mt-2 text-xs text-danger">Recording missing: expected but never received.</p>;
  }
}

// The answers' view loads when someone opens them.
const SurveyAnswersBody = lazy(() => import("@/components/survey-call-parts").then((m) => ({ default: m.SurveyAnswersBody })));

/** A call's survey answers (keypad digit or what was said), fetched when opened, live after. */
function SurveyAnswers({ orgId, callId }: { orgId: string; callId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} className="mt-2 text-sm">
      <summary className="cursor-pointer text-xs font-medium">Survey answers</summary>
      {open ? <Suspense fallback={<p className="text-xs text-muted">Loading…</p>}><SurveyAnswersBody orgId={orgId} callId={callId} /></Suspense> : null}
    </details>
  );
}

// The transcript, translations and scorecard load when someone opens them.
const CallIntelligence = lazy(() => import("@/components/call-intelligence").then((m) => ({ default: m.CallIntelligence })));

// A call's sealed evidence: versions, log position, Verify, Export, custody.
// The bulk evidence export (issue 11): its own chunk, loaded only for members who may export.
// No filters on the list in this branch yet (the call-search branch brings them).
const BulkExport = lazy(() => import("@/components/bulk-export"));

const CallEvidence = lazy(() => import("@/components/call-evidence").then((m) => ({ default: m.CallEvidence })));

/** An ended call's evidence, for those who may export it, fetched when opened. */
function Evidence({ orgId, callId }: { orgId: string; callId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} className="mt-2 text-sm" data-testid="evidence-details">
      <summary className="cursor-pointer text-xs font-medium">Evidence</summary>
      {open ? <Suspense fallback={<p className="text-xs text-muted">Loading…</p>}><CallEvidence orgId={orgId} callId={callId} /></Suspense> : null}
    </details>
  );
}

interface RowCapabilities {
  /** Play recordings and read transcripts. */
  play: boolean;
  /** Retry a failed transcription. */
  retry: boolean;
  /** Open the unredacted original of a redacted call. */
  original: boolean;
  /** See, verify and export the call's evidence. */
  evidence: boolean;
}

/** A transcribed call's words, translations and score, fetched when opened, live after. */
function Transcript({ orgId, callId, caps }: { orgId: string; callId: string; caps: RowCapabilities }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} className="mt-2 text-sm" data-testid="transcript-details">
      <summary className="cursor-pointer text-xs font-medium">Transcript, translations and score</summary>
      {open ? (
        <Suspense fallback={<p className="text-xs text-muted">Loading…</p>}>
          <CallIntelligence orgId={orgId} callId={callId} canRetry={caps.retry} canOpenOriginal={caps.original} />
        </Suspense>
      ) : null}
    </details>
  );
}

function CallRow({ orgId, call, caps, local }: { orgId: string; call: CallSummary; caps: RowCapabilities; local: boolean }) {
  const canPlay = caps.play;
  const modulations = (Object.keys(MODULATION_LABEL) as (keyof CallSummary["modulations"])[]).filter((m) => call.modulations[m]);
  return (
    <li data-call-id={call.id} className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="font-mono text-sm font-medium">{call.to}</span>
        <StatusBadge status={call.status} />
        <span className="text-xs capitalize text-muted">{call.flow}</span>
        <time dateTime={call.createdAt} className="ml-auto text-xs text-muted">{formatTime(call.createdAt, local)}</time>
      </div>
      <ul aria-label="Modulations" className="mt-1 flex flex-wrap gap-1.5">
        {modulations.length === 0 ? (
          <li className="text-xs text-muted">No modulations</li>
        ) : (
          modulations.map((m) => (
            <li key={m} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{MODULATION_LABEL[m]}</li>
          ))
        )}
      </ul>
      {call.dialError ? (
        <p className="mt-2 text-sm text-danger">
          <span className="font-medium">Dial error:</span> {call.dialError.message}
        </p>
      ) : null}
      <RecordingCell orgId={orgId} call={call} canPlay={canPlay} />
      {call.modulations.transcribe && canPlay ? <Transcript orgId={orgId} callId={call.id} caps={caps} /> : null}
      {call.modulations.survey ? <SurveyAnswers orgId={orgId} callId={call.id} /> : null}
      {caps.evidence && call.endedAt ? <Evidence orgId={orgId} callId={call.id} /> : null}
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

/** Calls, newest first, refreshed by live updates (use-realtime revalidates these keys). */
export function CallList({
  orgId,
  initialCalls,
  initialConfig,
}: {
  orgId: string;
  initialCalls?: CallListResponse;
  initialConfig?: VoiceConfigResponse;
}) {
  const local = useHydrated();
  const [announcement, setAnnouncement] = useState("");
  const seen = useRef<Map<string, CallStatus> | null>(null);

  const { data: config } = useSWR<VoiceConfigResponse, ApiError>(voiceConfigKey(orgId), swrFetcher, { fallbackData: initialConfig });
  const { data, error, size, setSize, isLoading, isValidating, mutate } = useSWRInfinite<CallListResponse, ApiError>(
    callPagesKey(orgId),
    swrFetcher,
    {
      fallbackData: initialCalls ? [initialCalls] : undefined,
      // A live update may concern a call on any loaded page, so every page refetches.
      revalidateAll: true,
      onSuccess: (pages) => {
        const calls = pages.flatMap((p) => p.calls);
        const previous = seen.current;
        seen.current = new Map(calls.map((c) => [c.id, c.status]));
        // The first load is not news; changes after it are announced.
        if (previous) {
          const lines = announce(previous, calls);
          if (lines.length > 0) setAnnouncement(lines.slice(0, 3).join(" "));
        }
      },
    },
  );

  const byId = new Map<string, CallSummary>();
  for (const page of data ?? []) for (const call of page.calls) if (!byId.has(call.id)) byId.set(call.id, call);
  const calls = [...byId.values()];
  const lastPage = data?.at(-1);
  const loadingMore = size > 0 && data !== undefined && data[size - 1] === undefined;
  // Who may play recordings: the API's capability, or, before it loads, whether it sent any.
  const canPlay = config ? config.capabilities["recording.play"].allowed : calls.some((c) => c.recording !== null);
  const caps: RowCapabilities = {
    play: canPlay,
    retry: Boolean(config?.capabilities["recording.enable"].allowed),
    original: Boolean(config?.capabilities["transcript.original"].allowed),
    evidence: Boolean(config?.capabilities["evidence.export"].allowed),
  };

  return (
    <section aria-labelledby="call-list-heading" className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <div className="flex items-center justify-between border-b border-slate-200 px-4 py-3">
        <h2 id="call-list-heading" className="text-base font-semibold">Calls</h2>
        {isValidating && data ? <span className="text-xs text-muted">Refreshing…</span> : null}
        {caps.evidence ? <Suspense><BulkExport orgId={orgId} filter={{}} /></Suspense> : null}
      </div>
      <div aria-live="polite" className="sr-only" data-testid="call-announcer">{announcement}</div>

      {error ? (
        <div role="alert" className="m-4 rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
          <p>{data ? "Could not refresh the calls" : "Could not load the calls"}: {errorMessage(error)}</p>
          <button type="button" onClick={() => void mutate()}
            className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-100">
            Retry
          </button>
        </div>
      ) : null}

      {!data && isLoading ? (
        <p role="status" className="px-4 py-6 text-sm text-muted">Loading calls…</p>
      ) : data && calls.length === 0 ? (
        <p className="px-4 py-6 text-sm text-muted">No calls yet. Calls placed in this organization appear here.</p>
      ) : calls.length > 0 ? (
        <ol aria-label="Calls, newest first" className="divide-y divide-slate-100">
          {calls.map((call) => (
            <CallRow key={call.id} orgId={orgId} call={call} caps={caps} local={local} />
          ))}
        </ol>
      ) : null}

      {lastPage?.nextBefore ? (
        <div className="border-t border-slate-200 px-4 py-3">
          <button type="button" onClick={() => void setSize(size + 1)} disabled={loadingMore}
            className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-60">
            {loadingMore ? "Loading older calls…" : "Load older"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
