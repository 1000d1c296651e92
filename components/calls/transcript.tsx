"use client";

import { memo, useCallback, useEffect, useMemo, useRef, useState, type MouseEvent, type ReactNode } from "react";
import { Highlighted, languageName } from "@/components/calls/parts";
import type { CallHighlightsResponse, HighlightFragment } from "@/lib/calls/contracts";
import type { Scorecard } from "@/lib/surveys/scorer";

/**
 * A call's words beside its recording: the transcript synced to playback (the utterance being
 * played is highlighted and, when the transcript has word timings, the word being spoken within
 * it; clicking an utterance seeks to it, clicking a word to that word), translations beside it,
 * and the shopper scorecard whose every citation seeks to the moment that decided it. The audio
 * URL is short-lived, so it is fetched when first needed (play, or a click on a moment).
 */

export interface TranscriptUtterance {
  speaker: string;
  startMs: number;
  endMs: number;
  text: string;
}

/** One word of the transcript shown (its redacted words when the redacted one is shown). */
export interface TranscriptWord {
  text: string;
  startMs: number;
  endMs: number;
  /** The speaker label, as the utterances have it; null when the transcriber gave none. */
  speaker: string | null;
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
  /** The words of the same transcript with their timings; none (older transcripts): utterances only. */
  words?: TranscriptWord[];
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
  const found = lastStartedBy(utterances.length, (i) => utterances[i]!.startMs, ms);
  return found >= 0 && ms < utterances[found]!.endMs ? found : -1;
}

/** A word placed in its utterance: its timing and where the utterance's text says it. */
export interface PlacedWord {
  startMs: number;
  endMs: number;
  /** Its characters in the utterance's `text`: [from, to). */
  from: number;
  to: number;
}

/** The transcript's words grouped into its utterances, and all of them in order of start. */
export interface WordTimeline {
  /** By utterance index: its words in time order, or null when it is shown without words. */
  utterances: (PlacedWord[] | null)[];
  /** Every placed word by start (ties: utterance order): which utterance, which of its words. */
  order: { utterance: number; word: number; startMs: number; endMs: number }[];
  /** reach[i]: the latest end among order[0..i] (in overlapping speech an earlier word can outlast later ones). */
  reach: number[];
}

/** Binary search: the last index in [0, length) whose start (ascending) is at or before `ms`; -1 when none is. */
function lastStartedBy(length: number, startOf: (index: number) => number, ms: number): number {
  let lo = 0;
  let hi = length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (startOf(mid) <= ms) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const SPACE = /\s/;

/**
 * Where `text` says each of `list`: each word's own text in turn (whitespace between them), else
 * one whitespace-separated token per word; null when neither fits (the utterance then shows as
 * plain text: its words are never invented or dropped from what the transcript says).
 */
function placeWords(text: string, list: TranscriptWord[]): PlacedWord[] | null {
  if (list.length === 0) return null;
  const placed: PlacedWord[] = [];
  let at = 0;
  for (const w of list) {
    while (at < text.length && SPACE.test(text[at]!)) at += 1;
    const to = at + w.text.length;
    if (!w.text || !text.startsWith(w.text, at) || (to < text.length && !SPACE.test(text[to]!))) break;
    placed.push({ startMs: w.startMs, endMs: w.endMs, from: at, to });
    at = to;
  }
  if (placed.length === list.length && text.slice(at).trim() === "") return placed;
  const tokens = [...text.matchAll(/\S+/g)];
  if (tokens.length !== list.length) return null;
  return list.map((w, k) => ({ startMs: w.startMs, endMs: w.endMs, from: tokens[k]!.index, to: tokens[k]!.index + tokens[k]![0].length }));
}

/**
 * Groups a transcript's words into its utterances: a word belongs to the utterance of its speaker
 * (any, when the word has none) whose span [start, end] holds the word's start — of several, the
 * latest started (back to back, the next one). Utterances of two speakers may interleave in time
 * (two channels talking over each other); the speaker keeps their words apart. Words that fit no
 * utterance, or whose utterance's text does not read as them, are left out (that utterance shows
 * as plain text). No words: every utterance shows as plain text, as before word timings.
 */
export function groupWords(utterances: TranscriptUtterance[], words: readonly TranscriptWord[] | undefined): WordTimeline {
  const timeline: WordTimeline = { utterances: utterances.map(() => null), order: [], reach: [] };
  if (!words || words.length === 0 || utterances.length === 0) return timeline;

  // Utterances by start, with the latest end so far: every one spanning a moment is found by
  // walking back from the last started at or before it until none can reach it.
  const byStart = utterances.map((_, i) => i).sort((a, b) => utterances[a]!.startMs - utterances[b]!.startMs || a - b);
  const starts = byStart.map((i) => utterances[i]!.startMs);
  const reachOf: number[] = [];
  for (const i of byStart) reachOf.push(Math.max(reachOf.at(-1) ?? -Infinity, utterances[i]!.endMs));

  const members: TranscriptWord[][] = utterances.map(() => []);
  const sorted = words.map((w, i) => ({ w, i })).sort((a, b) => a.w.startMs - b.w.startMs || a.i - b.i);
  for (const { w } of sorted) {
    for (let j = lastStartedBy(starts.length, (i) => starts[i]!, w.startMs); j >= 0 && reachOf[j]! >= w.startMs; j -= 1) {
      const u = utterances[byStart[j]!]!;
      if (w.startMs <= u.endMs && (w.speaker === null || w.speaker === u.speaker)) {
        members[byStart[j]!]!.push(w);
        break;
      }
    }
  }

  members.forEach((list, utterance) => {
    const placed = placeWords(utterances[utterance]!.text, list);
    timeline.utterances[utterance] = placed;
    placed?.forEach((p, word) => timeline.order.push({ utterance, word, startMs: p.startMs, endMs: p.endMs }));
  });
  timeline.order.sort((a, b) => a.startMs - b.startMs || a.utterance - b.utterance || a.word - b.word);
  for (const entry of timeline.order) timeline.reach.push(Math.max(timeline.reach.at(-1) ?? -Infinity, entry.endMs));
  return timeline;
}

/**
 * The word being said at `ms` (its index in `timeline.order`): the last one started at or before
 * it, while it lasts — or, in overlapping speech, the latest started of those still lasting. -1
 * before the first word, between words and after the last. A binary search over the starts.
 */
export function wordAt(timeline: WordTimeline, ms: number): number {
  const { order, reach } = timeline;
  const found = lastStartedBy(order.length, (i) => order[i]!.startMs, ms);
  for (let i = found; i >= 0 && reach[i]! > ms; i -= 1) if (ms < order[i]!.endMs) return i;
  return -1;
}

/** What is playing at `ms`: the word (index in the timeline's order, or -1) and the utterance (index, or -1). */
export function playingAt(utterances: TranscriptUtterance[], timeline: WordTimeline, ms: number): { word: number; utterance: number } {
  const word = wordAt(timeline, ms);
  // The word's own utterance, so the current word is always inside the highlighted one.
  return { word, utterance: word >= 0 ? timeline.order[word]!.utterance : utteranceAt(utterances, ms) };
}

/** Which characters of `text` a search hit covers; null when the fragments are not this text. */
function hitMask(text: string, fragments: HighlightFragment[]): boolean[] | null {
  if (fragments.map((f) => f.text).join("") !== text) return null;
  const mask: boolean[] = [];
  for (const f of fragments) for (let k = 0; k < f.text.length; k += 1) mask.push(f.hit);
  return mask;
}

const MARK_CLASS = "rounded-sm bg-yellow-200 px-0.5 text-ink";

/** text[from, to) with its search hits in <mark> (never HTML). */
function marked(text: string, from: number, to: number, mask: boolean[] | null, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let at = from;
  while (at < to) {
    const hit = mask?.[at] ?? false;
    let end = at + 1;
    while (end < to && (mask?.[end] ?? false) === hit) end += 1;
    const piece = text.slice(at, end);
    out.push(hit ? <mark key={`${key}-${at}`} className={MARK_CLASS}>{piece}</mark> : piece);
    at = end;
  }
  return out;
}

interface UtteranceRowProps {
  utterance: TranscriptUtterance;
  speaker: string;
  words: PlacedWord[] | null;
  active: boolean;
  /** The index among `words` of the word being said; -1 when none of this utterance's is. */
  currentWord: number;
  fragments: HighlightFragment[] | undefined;
  onSeek: (ms: number) => void;
}

/**
 * One utterance: a single button (the keyboard seeks by utterance). A click on one of its words
 * seeks to that word; anywhere else, to the utterance. The words are plain spans, not controls,
 * so nothing interactive nests. Memoized: playback re-renders only the rows whose current word changes.
 */
const UtteranceRow = memo(function UtteranceRow({ utterance: u, speaker, words, active, currentWord, fragments, onSeek }: UtteranceRowProps) {
  const mask = useMemo(() => (fragments ? hitMask(u.text, fragments) : null), [u.text, fragments]);
  // A hit whose fragments do not read as the utterance's text keeps the plain marking, without words.
  const shown = words && (!fragments || mask) ? words : null;
  const click = (event: MouseEvent<HTMLButtonElement>) => {
    // The word clicked, else the utterance (the button carries the utterance's start).
    const at = event.target instanceof Element ? event.target.closest<HTMLElement>("[data-start-ms]") : null;
    const ms = Number(at?.dataset.startMs);
    onSeek(Number.isFinite(ms) ? ms : u.startMs);
  };

  let body: ReactNode;
  if (shown) {
    const parts: ReactNode[] = [];
    let at = 0;
    shown.forEach((w, k) => {
      if (w.from > at) parts.push(...marked(u.text, at, w.from, mask, `g${k}`));
      const current = k === currentWord;
      parts.push(
        <span key={`w${k}`} data-testid="transcript-word" data-start-ms={w.startMs} data-end-ms={w.endMs}
          data-current={current ? "true" : undefined} aria-current={current ? "true" : undefined}
          className={`cursor-pointer rounded-sm hover:bg-amber-200 ${current ? "bg-amber-300 underline decoration-amber-800 decoration-2 underline-offset-4" : ""}`}>
          {marked(u.text, w.from, w.to, mask, `w${k}`)}
        </span>,
      );
      at = w.to;
    });
    if (at < u.text.length) parts.push(...marked(u.text, at, u.text.length, mask, "end"));
    body = parts;
  } else body = fragments ? <Highlighted fragments={fragments} /> : u.text;

  return (
    <li>
      <button type="button" data-testid="transcript-utterance" data-start-ms={u.startMs} data-active={active ? "true" : "false"}
        data-hit={fragments ? "true" : undefined} aria-current={active ? "true" : undefined} onClick={click}
        className={`w-full rounded px-2 py-1 text-left hover:bg-slate-100 ${active ? "bg-amber-100" : ""}`}>
        <span data-testid="transcript-utterance-time" className="mr-2 font-mono text-xs text-muted">{formatMoment(u.startMs)}</span>
        <span className="mr-1 font-semibold">{speaker}:</span>
        {body}
      </button>
    </li>
  );
});

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

const Translations = memo(function Translations({ translations, hits }: { translations: TranscriptTranslation[]; hits: Map<string, HighlightFragment[]> }) {
  return (
    <div className="space-y-3">
      {translations.map((t) => (
        <div key={t.language} data-testid="transcript-translation" data-language={t.language} lang={t.language}>
          <h4 className="text-xs font-semibold uppercase tracking-wide text-muted">{languageName(t.language)}</h4>
          <p className="whitespace-pre-line text-sm">
            {hits.has(t.language) ? <Highlighted fragments={hits.get(t.language)!} /> : t.text}
          </p>
        </div>
      ))}
    </div>
  );
});

const ScorecardPanel = memo(function ScorecardPanel({ scorecard, onSeek }: { scorecard: Scorecard; onSeek: (ms: number) => void }) {
  return (
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
                <button type="button" data-testid="scorecard-citation" data-start-ms={at} onClick={() => onSeek(at)}
                  className="font-mono text-xs text-blue-700 underline" aria-label={`Play from ${formatMoment(at)}`}>
                  ▶ {formatMoment(at)}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
});

export function CallTranscript({ loadAudio, utterances, words, speakerNames = {}, translations, scorecard, redacted, highlights }: CallTranscriptProps) {
  const audio = useRef<HTMLAudioElement>(null);
  const root = useRef<HTMLElement>(null);
  const hitUtterances = useMemo(() => new Map((highlights?.utterances ?? []).map((u) => [u.index, u.fragments])), [highlights]);
  const hitTranslations = useMemo(
    () => new Map((highlights?.translations ?? []).filter((t) => t.fragments.some((f) => f.hit)).map((t) => [t.language, t.fragments])),
    [highlights],
  );
  // Bring the first hit into view once the marks are there, and keep it there while the detail
  // settles (the player and the evidence above it load and push it down) for a few seconds.
  useEffect(() => {
    if (!highlights) return;
    const bring = () => root.current?.querySelector("mark")?.scrollIntoView({ block: "nearest" });
    bring();
    const settle = new ResizeObserver(bring);
    settle.observe(root.current?.closest("[data-testid=call-detail]") ?? document.body);
    const stop = setTimeout(() => settle.disconnect(), 3000);
    return () => {
      clearTimeout(stop);
      settle.disconnect();
    };
  }, [highlights]);
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pendingSeek = useRef<number | null>(null);

  // Playback position, kept only as coarsely as it shows: state changes (and the rows re-render)
  // when the word or utterance being played changes, not on every timeupdate.
  const timeline = useMemo(() => groupWords(utterances, words), [utterances, words]);
  const locate = useCallback((ms: number) => ({ ms, timeline, ...playingAt(utterances, timeline, ms) }), [utterances, timeline]);
  const [now, setNow] = useState(() => locate(0));
  const sync = useCallback((ms: number) => {
    const next = locate(ms);
    setNow((prev) => (prev.timeline === next.timeline && prev.word === next.word && prev.utterance === next.utterance ? prev : next));
  }, [locate]);
  // New words (a refreshed transcript) until the next tick: where the last position falls in them.
  const playing = now.timeline === timeline ? now : locate(now.ms);
  const current = playing.word >= 0 ? timeline.order[playing.word]! : null;

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
      sync(ms);
      void element.play().catch(() => {});
      return;
    }
    pendingSeek.current = ms;
    await ensureAudio();
  }, [src, ensureAudio, sync]);
  const onSeek = useCallback((ms: number) => void seek(ms), [seek]);

  // Once a freshly loaded source knows its length, honour the seek that asked for it.
  useEffect(() => {
    const element = audio.current;
    if (!element || !src) return;
    const apply = () => {
      if (pendingSeek.current === null) return;
      element.currentTime = pendingSeek.current / 1000;
      sync(pendingSeek.current);
      pendingSeek.current = null;
      void element.play().catch(() => {});
    };
    if (element.readyState >= 1) apply();
    element.addEventListener("loadedmetadata", apply);
    return () => element.removeEventListener("loadedmetadata", apply);
  }, [src, sync]);

  const name = (speaker: string) => speakerNames[speaker] ?? `Speaker ${speaker}`;

  return (
    <section ref={root} aria-label="Transcript" className="mt-3 space-y-3" data-testid="call-transcript">
      <div className="flex flex-wrap items-center gap-3">
        {src ? (
          <audio ref={audio} data-testid="transcript-audio" controls preload="auto" src={src} aria-label="Call recording"
            className="w-full max-w-md" onTimeUpdate={(e) => sync(Math.round(e.currentTarget.currentTime * 1000))}
            onSeeked={(e) => sync(Math.round(e.currentTarget.currentTime * 1000))}
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
            <UtteranceRow key={`${i}-${u.startMs}`} utterance={u} speaker={name(u.speaker)} words={timeline.utterances[i] ?? null}
              active={i === playing.utterance} currentWord={current?.utterance === i ? current.word : -1}
              fragments={hitUtterances.get(i)} onSeek={onSeek} />
          ))}
          {utterances.length === 0 ? <li className="text-xs text-muted">No speech was found in this recording.</li> : null}
        </ol>
        {translations.length > 0 ? <Translations translations={translations} hits={hitTranslations} /> : null}
      </div>

      {scorecard ? <ScorecardPanel scorecard={scorecard} onSeek={onSeek} /> : null}
    </section>
  );
}
