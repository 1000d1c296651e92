"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Highlighted, languageName } from "@/components/call-parts";
import type { CallHighlightsResponse } from "@/lib/calls/contracts";
import type { Scorecard } from "@/lib/intelligence/scorer";

/**
 * A call's words beside its recording: the transcript synced to playback (the utterance being
 * played is highlighted; clicking one seeks there), translations beside it, and the shopper
 * scorecard whose every citation seeks to the moment that decided it. The audio URL is
 * short-lived, so it is fetched when first needed (play, or a click on a moment).
 */

export interface TranscriptUtterance {
  speaker: string;
  startMs: number;
  endMs: number;
  text: string;
}

export interface TranscriptTranslation {
  language: string;
  text: string;
  /** Per-utterance translations when the vendor returned them, else only `text`. */
  utterances?: { index: number; text: string }[];
}

export interface CallTranscriptProps {
  /** Resolve a playable URL for the audio this transcript was made from (or its redacted copy). */
  loadAudio: () => Promise<string>;
  utterances: TranscriptUtterance[];
  /** Display names of the speaker labels ("A" → "Caller"). */
  speakerNames?: Record<string, string>;
  translations: TranscriptTranslation[];
  scorecard: Scorecard | null;
  /** Shown above the transcript when the words shown are the redacted ones. */
  redacted?: boolean;
  /** A search's hits: matching utterances (by index) and translations, marked; the first scrolls into view. */
  highlights?: CallHighlightsResponse;
}

export function formatMoment(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** The index of the utterance playing at `ms`: the last one started at or before it, while it lasts. */
export function utteranceAt(utterances: TranscriptUtterance[], ms: number): number {
  let lo = 0;
  let hi = utterances.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (utterances[mid]!.startMs <= ms) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && ms < utterances[found]!.endMs ? found : -1;
}

function citationMs(result: Scorecard["criteria"][number]): number | null {
  const evidence = result.evidence;
  if (!evidence) return null;
  return evidence.type === "utterance" ? evidence.startMs : evidence.span.startMs;
}

const OUTCOME_STYLE: Record<string, string> = {
  pass: "border-emerald-300 bg-emerald-50 text-emerald-800",
  fail: "border-rose-300 bg-rose-50 text-rose-800",
  no_evidence: "border-slate-300 bg-slate-50 text-slate-700",
};
const OUTCOME_LABEL: Record<string, string> = { pass: "Pass", fail: "Fail", no_evidence: "No evidence" };

export function CallTranscript({ loadAudio, utterances, speakerNames = {}, translations, scorecard, redacted, highlights }: CallTranscriptProps) {
  const audio = useRef<HTMLAudioElement>(null);
  const root = useRef<HTMLElement>(null);
  const hitUtterances = useMemo(() => new Map((highlights?.utterances ?? []).map((u) => [u.index, u.fragments])), [highlights]);
  const hitTranslations = useMemo(
    () => new Map((highlights?.translations ?? []).filter((t) => t.fragments.some((f) => f.hit)).map((t) => [t.language, t.fragments])),
    [highlights],
  );
  // Bring the first hit into view once the marks are there.
  useEffect(() => {
    if (!highlights) return;
    root.current?.querySelector("mark")?.scrollIntoView({ block: "nearest" });
  }, [highlights]);
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nowMs, setNowMs] = useState(0);
  const pendingSeek = useRef<number | null>(null);
  const active = useMemo(() => utteranceAt(utterances, nowMs), [utterances, nowMs]);

  const ensureAudio = useCallback(async (): Promise<boolean> => {
    if (src) return true;
    try {
      setSrc(await loadAudio());
      setError(null);
      return true;
    } catch (err) {
      setError(err instanceof Error ? err.message : "The recording could not be loaded.");
      return false;
    }
  }, [src, loadAudio]);

  const seek = useCallback(async (ms: number) => {
    const element = audio.current;
    if (element && src) {
      element.currentTime = ms / 1000;
      setNowMs(ms);
      void element.play().catch(() => {});
      return;
    }
    pendingSeek.current = ms;
    await ensureAudio();
  }, [src, ensureAudio]);

  // Once a freshly loaded source knows its length, honour the seek that asked for it.
  useEffect(() => {
    const element = audio.current;
    if (!element || !src) return;
    const apply = () => {
      if (pendingSeek.current === null) return;
      element.currentTime = pendingSeek.current / 1000;
      setNowMs(pendingSeek.current);
      pendingSeek.current = null;
      void element.play().catch(() => {});
    };
    if (element.readyState >= 1) apply();
    element.addEventListener("loadedmetadata", apply);
    return () => element.removeEventListener("loadedmetadata", apply);
  }, [src]);

  const name = (speaker: string) => speakerNames[speaker] ?? `Speaker ${speaker}`;

  return (
    <section ref={root} aria-label="Transcript" className="mt-3 space-y-3" data-testid="call-transcript">
      <div className="flex flex-wrap items-center gap-3">
        {src ? (
          <audio ref={audio} data-testid="transcript-audio" controls preload="auto" src={src} aria-label="Call recording"
            className="w-full max-w-md" onTimeUpdate={(e) => setNowMs(Math.round(e.currentTarget.currentTime * 1000))}
            onSeeked={(e) => setNowMs(Math.round(e.currentTarget.currentTime * 1000))}
            onError={() => setError("The recording link has expired or could not be played.")}>
            Your browser cannot play this recording.
          </audio>
        ) : (
          <button type="button" onClick={() => void seek(0)}
            className="rounded border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-100">
            Play with transcript
          </button>
        )}
        {error ? <span role="alert" className="text-xs text-danger">{error}</span> : null}
        {redacted ? <span className="text-xs text-muted">Personal details are redacted in these words and this audio.</span> : null}
      </div>

      {/* Side by side only where the panel is wide enough; in the detail column they stack. */}
      <div className={`grid gap-4 ${translations.length > 0 ? "2xl:grid-cols-2" : ""}`}>
        <ol className="max-h-80 space-y-1 overflow-y-auto text-sm" aria-label="Utterances">
          {utterances.map((u, i) => (
            <li key={`${i}-${u.startMs}`}>
              <button type="button" data-testid="transcript-utterance" data-start-ms={u.startMs} data-active={i === active ? "true" : "false"}
                data-hit={hitUtterances.has(i) ? "true" : undefined}
                aria-current={i === active ? "true" : undefined} onClick={() => void seek(u.startMs)}
                className={`w-full rounded px-2 py-1 text-left hover:bg-slate-100 ${i === active ? "bg-amber-100" : ""}`}>
                <span className="mr-2 font-mono text-xs text-muted">{formatMoment(u.startMs)}</span>
                <span className="mr-1 font-semibold">{name(u.speaker)}:</span>
                {hitUtterances.has(i) ? <Highlighted fragments={hitUtterances.get(i)!} /> : u.text}
              </button>
            </li>
          ))}
          {utterances.length === 0 ? <li className="text-xs text-muted">No speech was found in this recording.</li> : null}
        </ol>
        {translations.length > 0 ? (
          <div className="space-y-3">
            {translations.map((t) => (
              <div key={t.language} data-testid="transcript-translation" data-language={t.language} lang={t.language}>
                <h4 className="text-xs font-semibold uppercase tracking-wide text-muted">{languageName(t.language)}</h4>
                <p className="whitespace-pre-line text-sm">
                  {hitTranslations.has(t.language) ? <Highlighted fragments={hitTranslations.get(t.language)!} /> : t.text}
                </p>
              </div>
            ))}
          </div>
        ) : null}
      </div>

      {scorecard ? (
        <div data-testid="scorecard" className="rounded border border-slate-200 p-3">
          <h4 className="text-sm font-semibold">
            Scorecard{" "}
            <span data-testid="scorecard-score" className="font-normal text-muted">
              {scorecard.score === null ? "nothing could be decided" : `${Math.round(scorecard.score * 100)}%`}
              {` · ${scorecard.counts.pass} pass, ${scorecard.counts.fail} fail, ${scorecard.counts.no_evidence} no evidence · rubric v${scorecard.rubric.version}`}
            </span>
          </h4>
          <ul className="mt-2 space-y-1 text-sm">
            {scorecard.criteria.map((c) => {
              const at = citationMs(c);
              return (
                <li key={c.criterionId} data-testid="scorecard-criterion" data-outcome={c.outcome} className="flex flex-wrap items-baseline gap-2">
                  <span className={`rounded-full border px-2 text-xs font-semibold ${OUTCOME_STYLE[c.outcome]}`}>{OUTCOME_LABEL[c.outcome]}</span>
                  <span className="font-medium">{c.label}</span>
                  <span className="text-muted">{c.reason}</span>
                  {at !== null ? (
                    <button type="button" data-testid="scorecard-citation" data-start-ms={at} onClick={() => void seek(at)}
                      className="font-mono text-xs text-blue-700 underline" aria-label={`Play from ${formatMoment(at)}`}>
                      ▶ {formatMoment(at)}
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
