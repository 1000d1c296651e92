import "server-only";
import { appendCallEvent } from "@/lib/calls/timeline";
import { asService, type Sql } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { hasArtifact, storeArtifact } from "@/lib/intelligence/artifacts";
import { assemblyai } from "@/lib/intelligence/assemblyai";
import { transcriptionFor } from "@/lib/intelligence/transcriptions";
import { isLastAttempt, type JobContext } from "@/lib/jobs/context";
import type { TranscriptionPayload } from "@/lib/jobs/payloads";
import { storage as configuredStorage, type BlobStorage } from "@/lib/storage";
import { assertStoragePath } from "@/lib/storage/paths";
import { timedProviderRequest } from "@/lib/metrics";

/**
 * `store_redacted_audio`: copy AssemblyAI's PII-redacted audio into our storage, hashing it on
 * the way, and store it as an artifact. AssemblyAI keeps it for 24 hours, so this runs as soon as
 * the transcript is stored and again on its own webhook. The URL comes from the SDK
 * (`transcripts.redactedAudio`), never from a webhook body, and is never stored or logged: it
 * is a bearer link to the call's audio. Idempotent: one artifact per request, at a path fixed by
 * the request id.
 */

export type RedactedAudioOutcome = "stored" | "already_stored" | "not_ready" | "skipped" | "failed";

const MEDIA_TYPE = "audio/wav";

export async function storeRedactedAudio(
  payload: TranscriptionPayload,
  job: JobContext,
  options: { db?: Sql; storage?: BlobStorage } = {},
): Promise<RedactedAudioOutcome> {
  const db = options.db ?? sharedSql();
  const log = job.log.child({ orgId: payload.orgId, callId: payload.callId, transcriptionId: payload.transcriptionId });
  const row = await asService((tx) => transcriptionFor(tx, payload), db);
  if (!row || !row.redact || !row.providerTranscriptId) return "skipped";
  // The transcript settles first (its artifacts are the redacted audio's inputs); its own job queues this one again.
  if (row.status !== "completed") return row.status === "error" ? "skipped" : "not_ready";
  if (await asService((tx) => hasArtifact(tx, { orgId: payload.orgId, transcriptionId: payload.transcriptionId, kind: "redacted_audio" }), db)) {
    return "already_stored";
  }

  const transcriptId = row.providerTranscriptId;
  const path = `${payload.orgId}/${payload.callId}/redacted/${payload.transcriptionId}.wav`;
  assertStoragePath(path);
  let written: { bytes: number; sha256: string };
  try {
    const { redacted_audio_url: url } = await timedProviderRequest("transcriber", "transcripts.redacted_audio", () => assemblyai().transcripts.redactedAudio(transcriptId));
    const res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(10 * 60_000) });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`AssemblyAI answered HTTP ${res.status} for the redacted audio.`);
    }
    written = await (options.storage ?? configuredStorage()).put(path, res.body, { contentType: MEDIA_TYPE });
  } catch (err) {
    // Messages from fetch may carry the URL: keep only a short reason.
    const e = err as Error & { cause?: { code?: string } };
    const message = e.message?.includes("http") ? (e.cause?.code ?? "the download failed") : (e.message ?? String(err));
    if (isLastAttempt(job)) {
      log.error({ err: message }, "redacted audio could not be copied; the reconciler tries again within 24 hours");
      return "failed";
    }
    throw new Error(`Could not copy the redacted audio: ${message}`);
  }

  const stored = await asService(async (tx) => {
    const id = await storeArtifact(tx, {
      orgId: payload.orgId,
      callId: payload.callId,
      transcriptionId: payload.transcriptionId,
      kind: "redacted_audio",
      language: null,
      media: { path, bytes: written.bytes, sha256: written.sha256, mediaType: MEDIA_TYPE },
      provenance: {
        vendor: "assemblyai",
        models: [],
        providerId: row.providerTranscriptId,
        parameters: row.requestParameters,
        producedAt: new Date().toISOString(),
      },
      inputs: { recording: { id: row.recordingId, sha256: row.recordingSha256 } },
    });
    if (!id) return false;
    await appendCallEvent(tx, { id: payload.callId, orgId: payload.orgId }, "redacted_audio.stored", {
      transcriptionId: payload.transcriptionId, artifactId: id, sha256: written.sha256, bytes: written.bytes,
    }, { dedupeKey: `redacted_audio.stored:${payload.transcriptionId}` });
    return true;
  }, db);
  if (stored) log.info({ bytes: written.bytes, sha256: written.sha256 }, "redacted audio stored");
  return stored ? "stored" : "already_stored";
}
