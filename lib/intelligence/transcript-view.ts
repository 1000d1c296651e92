import "server-only";
import type { ScorecardEntry, TranscriptionStatusView, TranscriptView, TranslationView } from "@/lib/calls/contracts";
import type { Tx } from "@/lib/db";
import { currentArtifactsJson, scoreArtifactsJson, type ArtifactKind, type ArtifactRow, type ScoreArtifactRow } from "@/lib/intelligence/artifacts";
import { scorecardSchema } from "@/lib/surveys/scorer";
import type { TranscriptBody, TranslationBody } from "@/lib/intelligence/settle-transcription";

/**
 * What the call detail shows of transcription, read as the member (RLS on): the latest
 * request's status and reason, the current transcript, the translations and the shopper scores. On a call that
 * redacted PII, the transcript is the redacted one unless the caller may open originals AND
 * asked for it (`original`); RLS refuses the original to everyone else as well.
 */
export interface TranscriptionReadView {
  /** `recording.play`: the request's status and the transcript. */
  transcripts: boolean;
  /** `translation.read`. */
  translations: boolean;
  /** The caller asked for the original and may open it (`transcript.original`). */
  original: boolean;
  /** `survey.read`: every shopper score of the call. */
  scores: boolean;
}

export interface TranscriptionDetail {
  transcription: TranscriptionStatusView | null;
  transcript: TranscriptView | null;
  translations: TranslationView[] | null;
  scorecards: ScorecardEntry[] | null;
}

/** The latest request (when `transcripts`), the current artifacts of `kinds` and (when `scores`) every score: one statement. */
async function readAll(
  tx: Tx, orgId: string, callId: string, transcripts: boolean, kinds: ArtifactKind[], scores: boolean,
): Promise<{ request: TranscriptionStatusView | null; artifacts: ArtifactRow[]; scores: ScoreArtifactRow[] | null }> {
  const [row] = await tx<{ request: TranscriptionStatusView | null; artifacts: ArtifactRow[]; scores: ScoreArtifactRow[] | null }[]>`
    select
      ${transcripts ? tx`(select to_json(r) from (
        select t.id, t.status, t.error, t.redact, t.target_languages as "targetLanguages",
               (select count(*)::int from public.transcriptions p where p.recording_id = t.recording_id and p.created_at <= t.created_at) as attempt,
               to_json(t.created_at) #>> '{}' as "requestedAt", to_json(t.settled_at) #>> '{}' as "settledAt"
        from public.transcriptions t
        where t.organization_id = ${orgId} and t.call_id = ${callId}
        order by t.created_at desc, t.id desc limit 1) r)` : tx`null::json`} as request,
      ${currentArtifactsJson(tx, { orgId, callId, kinds })} as artifacts,
      ${scores ? scoreArtifactsJson(tx, { orgId, callId }) : tx`null::json`} as scores`;
  return { request: row?.request ?? null, artifacts: row?.artifacts ?? [], scores: row?.scores ?? null };
}

function transcriptView(row: ArtifactRow): TranscriptView {
  const body = row.body as TranscriptBody;
  return {
    artifactId: row.id,
    sha256: row.sha256,
    version: row.kind === "redacted_transcript" ? "redacted" : "original",
    language: body.language_code,
    confidence: body.confidence,
    audioDurationSeconds: body.audio_duration,
    text: body.text,
    utterances: body.utterances.map((u) => ({ speaker: u.speaker, channel: u.channel, start: u.start, end: u.end, text: u.text })),
    words: body.words.map((w) => ({ text: w.text, start: w.start, end: w.end, speaker: w.speaker })),
  };
}

/** One statement, pipelined on the caller's transaction beside the call's other reads. */
export async function transcriptionDetail(
  tx: Tx,
  { orgId, callId, view }: { orgId: string; callId: string; view: TranscriptionReadView },
): Promise<TranscriptionDetail> {
  const kinds: ArtifactKind[] = [
    ...(view.transcripts ? (["transcript", "redacted_transcript"] as const) : []),
    ...(view.translations ? (["translation"] as const) : []),
  ];
  if (!view.transcripts && kinds.length === 0 && !view.scores) return { transcription: null, transcript: null, translations: null, scorecards: null };
  const { request, artifacts, scores } = await readAll(tx, orgId, callId, view.transcripts, kinds, view.scores);
  const redacted = artifacts.filter((a) => a.kind === "redacted_transcript").at(-1);
  const original = artifacts.filter((a) => a.kind === "transcript").at(-1);
  // A redacted call shows its redacted transcript unless the original was asked for by someone allowed.
  const chosen = view.original && original ? original : (redacted ?? original);
  return {
    transcription: request,
    transcript: view.transcripts && chosen ? transcriptView(chosen) : null,
    translations: view.translations
      ? artifacts.filter((a) => a.kind === "translation").map((a) => ({
          artifactId: a.id, sha256: a.sha256, language: a.language!, text: (a.body as TranslationBody).text,
        }))
      : null,
    scorecards: view.scores
      ? (scores ?? []).map((s) => ({ artifactId: s.artifactId, sha256: s.sha256, producedAt: s.producedAt, supersedes: s.supersedes, scorecard: scorecardSchema.parse(s.body) }))
      : null,
  };
}
