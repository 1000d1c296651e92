"use client";

import { lazy, Suspense, useEffect, useId, useState, type ReactNode } from "react";
import useSWR, { useSWRConfig, type SWRConfiguration } from "swr";
import { ApiError, callDetailKey, errorMessage, swrFetcher } from "@/components/shared/api-client";
import { formatDuration, formatTime, StatusBadge } from "@/components/calls/parts";
import { useHydrated } from "@/components/shared/use-hydrated";
import { timelineOf, type TimelineSource } from "@/components/calls/timeline";
import type { CallDetail as CallDetailData, CallHighlightsResponse, RecordingSummary, VoiceConfigResponse } from "@/lib/calls/contracts";

/**
 * The selected call: what it is (number, status, flow, times), what it ran with (its own
 * snapshot, never today's configuration), what it became (recording, transcript, translations,
 * score, survey answers, evidence: each for the roles that may see it, loaded when shown) and
 * its timeline. Reads GET /api/calls/:id, which realtime revalidates, so it stays live. Another
 * organization's call, an unknown or a malformed id: "Call not found", and nothing else breaks.
 */

const RecordingPlayer = lazy(() => import("@/components/calls/recording-player").then((m) => ({ default: m.RecordingPlayer })));
const CallIntelligence = lazy(() => import("@/components/calls/intelligence").then((m) => ({ default: m.CallIntelligence })));
const SurveyAnswersBody = lazy(() => import("@/components/calls/survey-parts").then((m) => ({ default: m.SurveyAnswersBody })));
const CallEvidence = lazy(() => import("@/components/calls/evidence").then((m) => ({ default: m.CallEvidence })));

type Capabilities = VoiceConfigResponse["capabilities"];

/** 4xx answers do not change by asking again; network failures and 5xx do. */
const retryServerErrors: SWRConfiguration["onErrorRetry"] = (err: ApiError, _key, config, revalidate, { retryCount }) => {
  if (err.status >= 400 && err.status < 500) return;
  if (retryCount >= 5) return;
  setTimeout(() => void revalidate({ retryCount }), Math.min(30_000, (config.errorRetryInterval ?? 5000) * 2 ** retryCount));
};

const loadingLine = (text = "Loading…") => <p role="status" className="text-xs text-muted">{text}</p>;

function Part({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="border-t border-slate-200 pt-3" data-testid={testId}>
      <h3 id={id} className="text-sm font-semibold">{title}</h3>
      <div className="mt-1 text-sm">{children}</div>
    </section>
  );
}

function Recording({ orgId, call }: { orgId: string; call: CallDetailData }) {
  const recording: RecordingSummary | null = call.recording;
  if (!recording) {
    return <p className="text-xs text-muted">{call.endedAt ? "No recording was received." : "Recording starts when the call is answered."}</p>;
  }
  switch (recording.status) {
    case "stored":
      return (
        <Suspense fallback={loadingLine("Recording stored.")}>
          <RecordingPlayer orgId={orgId} callId={call.id} recording={recording} duration={formatDuration(recording.durationSeconds)} />
        </Suspense>
      );
    case "pending":
      return <p className="text-xs text-muted">Recording processing…</p>;
    // "Recording: on" with nothing behind it says why, in the carrier's or our own words.
    case "failed":
      return <p className="text-xs text-danger" data-testid="recording-problem">The recording could not be stored.{reasonOf(recording)}</p>;
    case "absent":
      return <p className="text-xs text-danger" data-testid="recording-problem">No recording was made.{reasonOf(recording)}</p>;
    case "missing":
      return <p className="text-xs text-danger" data-testid="recording-problem">Recording missing: expected but never received.{reasonOf(recording)}</p>;
  }
}

function reasonOf(recording: RecordingSummary): string {
  return recording.error ? ` ${recording.error}` : "";
}

/** Opening the evidence view records a custody event, so it stays behind an explicit open. */
function Evidence({ orgId, callId }: { orgId: string; callId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="evidence-details">
      <summary className="cursor-pointer text-sm font-medium">Evidence: versions, Verify, Export, custody</summary>
      {open ? (
        <Suspense fallback={loadingLine()}>
          <CallEvidence orgId={orgId} callId={callId} />
          <CustodyFollower orgId={orgId} callId={callId} />
        </Suspense>
      ) : null}
    </details>
  );
}

/** The view just recorded itself as a custody event: refresh the timeline once it has. */
function CustodyFollower({ orgId, callId }: { orgId: string; callId: string }) {
  const { mutate } = useSWRConfig();
  const { data } = useSWR([`/api/calls/${encodeURIComponent(callId)}/evidence/versions`, orgId] as const, swrFetcher);
  useEffect(() => {
    if (data) void mutate(callDetailKey(orgId, callId));
  }, [data, mutate, orgId, callId]);
  return null;
}

const SOURCE_LABEL: Record<TimelineSource, string> = {
  call: "Call",
  carrier: "Carrier",
  recording: "Recording",
  intelligence: "Transcription",
  reconciler: "Reconciler",
  evidence: "Evidence",
  custody: "Custody",
};

function Timeline({ call, local, you }: { call: CallDetailData; local: boolean; you?: string | null }) {
  const items = timelineOf(call, { you });
  if (items.length === 0) return <p className="text-xs text-muted">Nothing has happened to this call yet.</p>;
  return (
    <ol aria-label="Timeline, oldest first" className="space-y-1" data-testid="call-timeline">
      {items.map((item) => (
        <li key={item.key} data-source={item.source} className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2 text-xs">
          <time dateTime={item.at} className="whitespace-nowrap font-mono text-muted">{formatTime(item.at, local, true)}</time>
          <span>
            <span className="font-medium">{SOURCE_LABEL[item.source]}</span> · {item.text}
            {item.hash ? <span className="ml-1 font-mono text-muted" title={item.hash}>{item.hash.slice(0, 12)}…</span> : null}
          </span>
        </li>
      ))}
    </ol>
  );
}

function RanWith({ call }: { call: CallDetailData }) {
  const s = call.snapshot;
  if (!s) return <p className="text-xs text-muted">This call carries no readable snapshot of its settings.</p>;
  const rows: [string, ReactNode][] = [
    ["Flow", <span key="f" className="capitalize">{s.flow}</span>],
    ["Caller id", <span key="c" className="font-mono">{s.from}</span>],
    ...(s.operatorPhone ? [["Operator phone", <span key="o" className="font-mono">{s.operatorPhone}</span>] as [string, ReactNode]] : []),
    ["Recording", s.record ? "On" : "Off"],
    ["Transcription", s.transcribe ? "On" : "Off"],
    ["Translation", s.translate ? s.translate.languages.join(", ") : "Off"],
    ["Redaction", s.redact ? "Personal details redacted" : "Off"],
    ["Disclosure", s.disclosure ? <q key="d">{s.disclosure}</q> : "None (not recorded)"],
    ["Survey", s.survey ? `${s.survey.title} v${s.survey.version}` : "None"],
    ["Shopper script", s.shopperScript ? `${s.shopperScript.title} v${s.shopperScript.version}` : "None"],
  ];
  return (
    <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs" data-testid="call-ran-with">
      {rows.map(([term, value]) => (
        <div key={term} className="contents">
          <dt className="text-muted">{term}</dt>
          <dd className="break-words">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export interface CallDetailProps {
  orgId: string;
  callId: string;
  /** The server's read for this call at first paint: the detail, or null when it was not found. */
  initial?: CallDetailData | null;
  capabilities?: Capabilities;
  /** The list's full-text search: matching words are marked in the transcript and translations. */
  q?: string;
  /** The signed-in member, so the timeline can say "by you". */
  you?: string | null;
  onClose: () => void;
}

export function CallDetail({ orgId, callId, initial, capabilities, q, you, onClose }: CallDetailProps) {
  const local = useHydrated();
  const { data, error, isLoading, mutate } = useSWR<{ call: CallDetailData }, ApiError>(callDetailKey(orgId, callId), swrFetcher, {
    fallbackData: initial ? { call: initial } : undefined,
    onErrorRetry: retryServerErrors,
    // A sealed version or a custody act announces itself like a call event (the realtime hook
    // revalidates this key): no polling for the seal.
  });
  const call = data?.call;
  const canPlay = capabilities ? capabilities["recording.play"].allowed : Boolean(call?.recording || call?.transcription);
  const highlightsKey = q && canPlay && call?.transcript ? ([`/api/calls/${encodeURIComponent(callId)}/highlights?q=${encodeURIComponent(q)}`, orgId] as const) : null;
  // Until the search route exists (or when it fails) the transcript shows unmarked.
  const { data: highlights } = useSWR<CallHighlightsResponse, ApiError>(highlightsKey, swrFetcher, { onErrorRetry: retryServerErrors });

  const notFound = error?.status === 404 || (initial === null && !call);
  if (notFound) {
    return (
      <div data-testid="call-detail" data-state="not-found" className="space-y-2 text-sm">
        <p role="alert" className="font-medium">Call not found.</p>
        <p className="text-muted">It may belong to another organization, or the link is wrong. Choose a call from the list.</p>
        <button type="button" onClick={onClose} className="rounded border border-slate-400 bg-white px-3 py-1 font-medium hover:bg-slate-100">
          Close
        </button>
      </div>
    );
  }
  if (!call) {
    if (error) {
      return (
        <div role="alert" data-testid="call-detail" data-state="error" className="rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
          <p>Could not load the call: {errorMessage(error)}</p>
          <button type="button" onClick={() => void mutate()}
            className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-100">
            Retry
          </button>
        </div>
      );
    }
    return <div data-testid="call-detail" data-state="loading">{isLoading || !error ? loadingLine("Loading the call…") : null}</div>;
  }

  const duration = formatDuration(call.durationSeconds);
  const times: [string, string | null][] = [["Placed", call.createdAt], ["Answered", call.answeredAt], ["Ended", call.endedAt]];
  const showsContent = canPlay;
  const surveys = capabilities?.["survey.read"].allowed ?? call.surveyAnswers !== null;
  const evidence = capabilities?.["evidence.export"].allowed ?? call.manifests !== null;

  return (
    <article data-testid="call-detail" data-state="ready" data-detail-call-id={call.id} aria-label={`Call to ${call.to}`} className="space-y-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="font-mono text-base font-semibold" data-testid="detail-number">{call.to}</span>
        <StatusBadge status={call.status} />
        <span className="text-xs capitalize text-muted">{call.flow}</span>
        <button type="button" onClick={onClose} className="ml-auto rounded border border-slate-400 bg-white px-2 py-0.5 text-xs font-medium hover:bg-slate-100">
          Close
        </button>
      </div>
      {error ? (
        <p role="alert" className="text-xs text-danger">
          Could not refresh: {errorMessage(error)}{" "}
          <button type="button" onClick={() => void mutate()} className="underline">Retry</button>
        </p>
      ) : null}
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs">
        {times.map(([label, at]) => (at ? (
          <div key={label} className="contents">
            <dt className="text-muted">{label}</dt>
            <dd><time dateTime={at}>{formatTime(at, local, true)}</time></dd>
          </div>
        ) : null))}
        {duration ? (
          <div className="contents">
            <dt className="text-muted">Duration</dt>
            <dd>{duration}</dd>
          </div>
        ) : null}
      </dl>
      {call.dialError ? (
        <p className="text-sm text-danger"><span className="font-medium">Dial error:</span> {call.dialError.message}</p>
      ) : null}

      <Part title="What this call ran with"><RanWith call={call} /></Part>

      {showsContent ? (
        <>
          {call.modulations.record ? <Part title="Recording" testId="detail-recording"><Recording orgId={orgId} call={call} /></Part> : null}
          {call.modulations.transcribe ? (
            <Part title="Transcript, translations and score" testId="transcript-details">
              <Suspense fallback={loadingLine()}>
                <CallIntelligence orgId={orgId} callId={call.id} canRetry={Boolean(capabilities?.["recording.enable"].allowed)}
                  canOpenOriginal={Boolean(capabilities?.["transcript.original"].allowed)} highlights={highlights} />
              </Suspense>
            </Part>
          ) : null}
        </>
      ) : (
        <p className="text-xs text-muted" data-testid="content-withheld">
          Recordings, transcripts, translations, survey answers and scores are for{" "}
          {capabilities ? [...capabilities["recording.play"].roles].reverse().map((r) => r + "s").join(", ").replace(/, ([^,]*)$/, " and $1") : "other roles"}
          {capabilities?.["recording.play"].reason === "plan" && capabilities["recording.play"].requiredPlan ? ` on the ${capabilities["recording.play"].requiredPlan} plan` : ""}.
        </p>
      )}
      {call.modulations.survey && surveys ? (
        <Part title="Survey answers" testId="detail-survey">
          <Suspense fallback={loadingLine()}><SurveyAnswersBody orgId={orgId} callId={call.id} /></Suspense>
        </Part>
      ) : null}
      {evidence && call.endedAt ? (
        <div className="border-t border-slate-200 pt-3"><Evidence orgId={orgId} callId={call.id} /></div>
      ) : null}

      <Part title="Timeline" testId="detail-timeline"><Timeline call={call} local={local} you={you} /></Part>
    </article>
  );
}
