import "server-only";
import type { Transcript, TranscriptUtterance, TranscriptWord } from "assemblyai";
import { asService, type Sql, type Tx } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { appendCallEvent } from "@/lib/calls/timeline";
import { storeArtifact, artifactHash, type Provenance } from "@/lib/intelligence/artifacts";
import { assemblyai } from "@/lib/intelligence/assemblyai";
import { scoreStoredTranscript } from "@/lib/intelligence/scoring";
import {
  enqueueRedactedAudio,
  markTranscriptionCompleted,
  markTranscriptionFailed,
  countSettled,
  transcriptionFor,
  type TranscriptionRow,
  type TranscriptionTarget,
} from "@/lib/intelligence/transcriptions";
import type { JobContext } from "@/lib/jobs/context";
import type { TranscriptionPayload } from "@/lib/jobs/payloads";
import { timedProviderRequest } from "@/lib/metrics";

/**
 * `fetch_transcript` (after AssemblyAI's webhook, or from the reconciler): ask AssemblyAI for
 * the transcript (`transcripts.get`) and settle the request. `error` is recorded with
 * AssemblyAI's own reason. `completed` stores, in one transaction with the request's
 * settlement and its timeline events: the transcript (the original, unredacted text when
 * redaction was asked, which only owners and admins then read), the redacted transcript,
 * one translation per target language, and the shopper score when the call ran a script;
 * then queues the copy of the redacted audio. Still queued or processing: nothing changes (the
 * webhook or the reconciler comes back).
 * Idempotent: a settled request is left alone, and artifacts are unique per request, kind and
 * language.
 */

export type SettleOutcome = "completed" | "failed" | "not_ready" | "already_settled" | "skipped";

/** The transcript artifact's body: AssemblyAI's own field names, the ones the scorer reads. */
export interface TranscriptBody {
  transcript_id: string;
  language_code: string | null;
  language_confidence: number | null;
  confidence: number | null;
  /** Seconds, as AssemblyAI reports it. */
  audio_duration: number | null;
  text: string;
  utterances: Array<{ speaker: string; channel: string | null; start: number; end: number; text: string; confidence: number }>;
  words: Array<{ text: string; start: number; end: number; confidence: number; speaker: string | null; channel: string | null }>;
  sentiment_analysis_results: Array<{ text: string; start: number; end: number; sentiment: string; confidence: number; speaker: string | null; channel: string | null }>;
  entities: Array<{ entity_type: string; text: string; start: number; end: number }>;
  redacted: boolean;
}

export interface TranslationBody {
  transcript_id: string;
  language: string;
  source_language: string | null;
  text: string;
}

function words(list: TranscriptWord[] | null | undefined): TranscriptBody["words"] {
  return (list ?? []).map((w) => ({
    text: w.text,
    start: w.start,
    end: w.end,
    confidence: w.confidence,
    speaker: w.speaker ?? null,
    channel: w.channel ?? null,
  }));
}

function utterances(list: TranscriptUtterance[] | null | undefined): TranscriptBody["utterances"] {
  return (list ?? []).map((u) => ({ speaker: u.speaker, channel: u.channel ?? null, start: u.start, end: u.end, text: u.text, confidence: u.confidence }));
}

/** The transcript as stored: `original` takes AssemblyAI's unredacted fields when it returned them. */
export function transcriptBody(t: Transcript, version: "original" | "redacted"): TranscriptBody {
  const unredacted = version === "original" && t.unredacted_text != null;
  return {
    transcript_id: t.id,
    language_code: t.language_code ?? null,
    language_confidence: t.language_confidence ?? null,
    confidence: t.confidence ?? null,
    audio_duration: t.audio_duration ?? null,
    text: (unredacted ? t.unredacted_text : t.text) ?? "",
    utterances: utterances(unredacted ? t.unredacted_utterances : t.utterances),
    words: words(unredacted ? t.unredacted_words : t.words),
    sentiment_analysis_results: (t.sentiment_analysis_results ?? []).map((s) => ({
      text: s.text, start: s.start, end: s.end, sentiment: s.sentiment, confidence: s.confidence, speaker: s.speaker ?? null, channel: s.channel ?? null,
    })),
    entities: (t.entities ?? []).map((e) => ({ entity_type: e.entity_type, text: e.text, start: e.start, end: e.end })),
    redacted: version === "redacted",
  };
}

function provenanceOf(t: Transcript, row: TranscriptionRow, producedAt: string): Provenance {
  const models = [t.speech_model_used, t.acoustic_model, t.language_model].filter((m): m is string => typeof m === "string" && m.length > 0);
  return {
    vendor: "assemblyai",
    models: [...new Set(models)],
    providerId: t.id,
    parameters: row.requestParameters,
    producedAt,
  };
}

export async function settleTranscription(payload: TranscriptionPayload, job: JobContext, options: { db?: Sql } = {}): Promise<SettleOutcome> {
  const db = options.db ?? sharedSql();
  const log = job.log.child({ orgId: payload.orgId, callId: payload.callId, transcriptionId: payload.transcriptionId });
  const row = await asService((tx) => transcriptionFor(tx, payload), db);
  if (!row) return "skipped";
  if (row.status === "completed" || row.status === "error") return "already_settled";
  if (!row.providerTranscriptId) return "not_ready";

  const transcriptId = row.providerTranscriptId;
  const transcript = await timedProviderRequest("transcriber", "transcripts.get", () => assemblyai().transcripts.get(transcriptId));
  if (transcript.status === "error") {
    countSettled("error", await asService((tx) => markTranscriptionFailed(tx, payload, transcript.error ?? "AssemblyAI reported an error without a reason."), db));
    log.warn({ transcriptId: transcript.id, reason: transcript.error }, "transcription failed");
    return "failed";
  }
  if (transcript.status !== "completed") return "not_ready";

  const outcome = await asService(async (tx) => {
    const current = await transcriptionFor(tx, payload, { lock: true });
    if (!current || current.status === "completed" || current.status === "error") return "already_settled" as const;
    await storeTranscription(tx, payload, current, transcript);
    return "completed" as const;
  }, db);
  countSettled("completed", outcome === "completed");
  if (outcome === "completed") log.info({ transcriptId: transcript.id, words: transcript.words?.length ?? 0 }, "transcript stored");
  return outcome;
}

/** The artifacts of a completed transcript, the request settled and the timeline told, in the caller's transaction. */
async function storeTranscription(tx: Tx, target: TranscriptionTarget, row: TranscriptionRow, t: Transcript): Promise<void> {
  const producedAt = new Date().toISOString();
  const provenance = provenanceOf(t, row, producedAt);
  const recording = { id: row.recordingId, sha256: row.recordingSha256 };
  const base = { orgId: target.orgId, callId: target.callId, transcriptionId: target.transcriptionId };

  const original = transcriptBody(t, "original");
  const transcriptId = (await storeArtifact(tx, {
    ...base, kind: "transcript", language: original.language_code, body: original, provenance, inputs: { recording },
    restricted: row.redact,
  }))!;
  const transcriptSha = artifactHash(original);

  // What a shopper score reads: the redacted transcript on a redacting call, so that a
  // scorecard's cited utterance never shows what redaction hid.
  let scored = { id: transcriptId, sha256: transcriptSha, body: original as unknown };
  if (row.redact) {
    const redacted = transcriptBody(t, "redacted");
    const redactedId = (await storeArtifact(tx, {
      ...base, kind: "redacted_transcript", language: redacted.language_code, body: redacted, provenance,
      inputs: { recording, transcript: { id: transcriptId, sha256: transcriptSha } },
    }))!;
    scored = { id: redactedId, sha256: artifactHash(redacted), body: redacted };
  }

  for (const [language, text] of Object.entries(t.translated_texts ?? {})) {
    if (!row.targetLanguages.includes(language) || typeof text !== "string") continue;
    const body: TranslationBody = { transcript_id: t.id, language, source_language: t.language_code ?? null, text };
    const id = await storeArtifact(tx, {
      ...base, kind: "translation", language, body, provenance,
      inputs: { recording, transcript: { id: transcriptId, sha256: transcriptSha } },
    });
    if (id) {
      await appendCallEvent(tx, { id: target.callId, orgId: target.orgId }, "translation.stored", {
        transcriptionId: target.transcriptionId, artifactId: id, language, sha256: artifactHash(body),
      }, { dedupeKey: `translation.stored:${target.transcriptionId}:${language}` });
    }
  }

  await markTranscriptionCompleted(tx, target, {
    transcriptId: t.id, artifactId: transcriptId, sha256: transcriptSha, language: original.language_code, words: original.words.length,
  });
  // The scorer is pure and fast: the score is stored with the transcript, or neither is.
  await scoreStoredTranscript(tx, {
    orgId: target.orgId, callId: target.callId, transcript: scored, multichannel: row.requestParameters?.multichannel === true,
  });
  // AssemblyAI keeps redacted audio for 24 hours: copy it now (its own webhook queues this too).
  if (row.redact && t.redact_pii_audio) await enqueueRedactedAudio(tx, target);
}
