"use client";

import { lazy, Suspense, useState } from "react";
import useSWR from "swr";
import { ApiError, apiFetch, callDetailKey, errorMessage, swrFetcher } from "@/components/shared/api-client";
import type { CallDetail, CallHighlightsResponse, RecordingUrlResponse, TranscriptView } from "@/lib/calls/contracts";

/**
 * What a recorded call became: the transcription's progress (pending, failed with AssemblyAI's
 * reason and, for owners and admins, a retry), then the transcript synced to the recording,
 * its translations and the shopper scorecard. Reads the call detail, which realtime refreshes,
 * so each arrives without a reload. Loaded only when someone opens it.
 */

const CallTranscript = lazy(() => import("@/components/calls/transcript").then((m) => ({ default: m.CallTranscript })));

/**
 * Who is speaking, in words: the scorer's choice of the called party when the call was scored,
 * else channel 2 of a dual-channel recording (channel 1 is our side).
 */
function speakerNames(transcript: TranscriptView, calledParty: string | null): Record<string, string> {
  const names: Record<string, string> = {};
  if (calledParty) names[calledParty] = "Called party";
  for (const u of transcript.utterances) {
    if (names[u.speaker]) continue;
    names[u.speaker] = u.channel === "2" ? "Called party" : u.channel === "1" ? "Our side" : `Speaker ${u.speaker}`;
  }
  return names;
}

export function CallIntelligence({ orgId, callId, canRetry, canOpenOriginal, highlights }: {
  orgId: string;
  callId: string;
  canRetry: boolean;
  canOpenOriginal: boolean;
  /** Where the list's search matched (GET /api/calls/:id/highlights): marked in the words shown. */
  highlights?: CallHighlightsResponse;
}) {
  const [original, setOriginal] = useState(false);
  const [path, key] = callDetailKey(orgId, callId);
  const { data, error, mutate } = useSWR<{ call: CallDetail }, ApiError>(original ? [`${path}?original=1`, key] as const : [path, key] as const, swrFetcher);
  const [retry, setRetry] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const call = data?.call;

  if (error) return <p role="alert" className="text-xs text-danger">{errorMessage(error)}</p>;
  if (!call) return <p className="text-xs text-muted">Loading…</p>;

  const transcription = call.transcription;
  const transcript = call.transcript;
  // Every score of the call, oldest first: the last is current (a re-score supersedes).
  const scorecard = call.scorecards?.at(-1)?.scorecard ?? null;

  async function retryNow() {
    setRetry({ busy: true, error: null });
    try {
      await apiFetch(`/api/calls/${encodeURIComponent(callId)}/transcription/retry`, { orgId, method: "POST" });
      setRetry({ busy: false, error: null });
      await mutate();
    } catch (err) {
      setRetry({ busy: false, error: errorMessage(err) });
    }
  }

  const loadAudio = async () => {
    const media = await apiFetch<RecordingUrlResponse>(`/api/calls/${encodeURIComponent(callId)}/recording${original ? "?original=1" : ""}`, { orgId });
    return media.url;
  };

  return (
    <div className="mt-1 text-sm" data-testid="call-intelligence">
      {!transcription ? (
        <p className="text-xs text-muted" data-testid="transcription-state" data-state="waiting">
          {call.recording?.status === "stored" ? "Transcription is queued." : "The transcript follows the recording."}
        </p>
      ) : transcription.status === "error" ? (
        <div role="alert" data-testid="transcription-state" data-state="error" className="space-y-1 text-xs">
          <p className="text-danger">
            <span className="font-medium">Transcription failed</span> (attempt {transcription.attempt}): {transcription.error}
          </p>
          {canRetry ? (
            <button type="button" onClick={() => void retryNow()} disabled={retry.busy}
              className="rounded border border-slate-300 bg-white px-2 py-0.5 font-medium hover:bg-slate-100 disabled:opacity-60">
              {retry.busy ? "Retrying…" : "Retry transcription"}
            </button>
          ) : <p className="text-muted">An owner or admin can retry it.</p>}
          {retry.error ? <p className="text-danger">{retry.error}</p> : null}
        </div>
      ) : transcription.status !== "completed" ? (
        <p role="status" className="text-xs text-muted" data-testid="transcription-state" data-state="pending">
          Transcribing{transcription.targetLanguages.length ? ` and translating (${transcription.targetLanguages.join(", ")})` : ""}…
        </p>
      ) : null}

      {transcript ? (
        <>
          {transcript.version === "redacted" && canOpenOriginal ? (
            <button type="button" onClick={() => setOriginal(true)} className="mt-1 text-xs text-blue-700 underline">Open the unredacted original</button>
          ) : null}
          {original && transcript.version === "original" ? (
            <button type="button" onClick={() => setOriginal(false)} className="mt-1 text-xs text-blue-700 underline">Back to the redacted version</button>
          ) : null}
          <Suspense fallback={<p className="text-xs text-muted">Loading the transcript…</p>}>
            <CallTranscript
              key={transcript.artifactId}
              loadAudio={loadAudio}
              utterances={transcript.utterances.map((u) => ({ speaker: u.speaker, startMs: u.start, endMs: u.end, text: u.text }))}
              words={(transcript.words ?? []).map((w) => ({ text: w.text, startMs: w.start, endMs: w.end, speaker: w.speaker }))}
              speakerNames={speakerNames(transcript, scorecard?.calledPartySpeaker ?? null)}
              translations={call.translations ?? []}
              scorecard={scorecard}
              redacted={transcript.version === "redacted"}
              highlights={original ? undefined : highlights}
            />
          </Suspense>
        </>
      ) : null}
    </div>
  );
}
