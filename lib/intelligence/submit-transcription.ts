import "server-only";
import { createHash, randomBytes } from "node:crypto";
import type { TranscriptParams } from "assemblyai";
import { config } from "@/lib/config";
import { asService, type Sql } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { assemblyai } from "@/lib/intelligence/assemblyai";
import { armSubmission, countSettled, markSubmitted, markTranscriptionFailed, transcriptionFor, type TranscriptionRow } from "@/lib/intelligence/transcriptions";
import { isLastAttempt, type JobContext } from "@/lib/jobs/context";
import type { TranscriptionPayload } from "@/lib/jobs/payloads";
import { storage } from "@/lib/storage";
import { timedProviderRequest } from "@/lib/metrics";

/**
 * `submit_transcription`: hand a stored recording to AssemblyAI (`transcripts.submit`, which
 * does not wait for the result). The audio goes as a short-lived signed URL of our own stored
 * copy; the webhook URL carries our ids; its auth header value is a fresh random secret whose
 * SHA-256 alone is stored, before the request is sent (so the webhook can verify even if it
 * overtakes our bookkeeping). A retried job makes a new secret, so an earlier submission that
 * did reach AssemblyAI can no longer report into this request.
 */

/** The header AssemblyAI sends back with our per-request secret. */
export const WEBHOOK_AUTH_HEADER = "x-verbatim-webhook-secret";

/** AssemblyAI fetches the audio soon after submission; the link outlives a slow queue, not more. */
const AUDIO_URL_SECONDS = 3600;

/** What AssemblyAI redacts when the organization turns redaction on (its policy names). */
export const REDACTION_POLICIES = [
  "person_name",
  "phone_number",
  "email_address",
  "credit_card_number",
  "credit_card_cvv",
  "credit_card_expiration",
  "banking_information",
  "us_social_security_number",
  "date_of_birth",
  "location",
] as const;

export function secretHash(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The request's parameters, without the audio URL and the secret (those are never stored). */
export function transcriptionParameters(row: Pick<TranscriptionRow, "redact" | "targetLanguages" | "recordingChannels">): Omit<TranscriptParams, "audio_url"> {
  const dual = row.recordingChannels === 2;
  return {
    // Two channels are the two parties (a bridged call's legs): one speaker per channel.
    ...(dual ? { multichannel: true } : { speaker_labels: true }),
    language_detection: true,
    sentiment_analysis: true,
    entity_detection: true,
    ...(row.redact
      ? {
          redact_pii: true,
          redact_pii_audio: true,
          redact_pii_audio_quality: "wav" as const,
          redact_pii_policies: [...REDACTION_POLICIES] as TranscriptParams["redact_pii_policies"],
          redact_pii_sub: "entity_name" as const,
          // The original stays available to owners and admins: one transcription, both texts.
          redact_pii_return_unredacted: true,
        }
      : {}),
    ...(row.targetLanguages.length > 0
      ? { speech_understanding: { request: { translation: { target_languages: row.targetLanguages } } } as TranscriptParams["speech_understanding"] }
      : {}),
  };
}

export function webhookUrl(t: { callId: string; transcriptionId: string }): string {
  return `${config().publicBaseUrl}/api/webhooks/assemblyai?call=${t.callId}&request=${t.transcriptionId}`;
}

export type SubmitOutcome = "submitted" | "not_pending" | "failed" | "skipped";

export async function submitTranscription(payload: TranscriptionPayload, job: JobContext, options: { db?: Sql } = {}): Promise<SubmitOutcome> {
  const db = options.db ?? sharedSql();
  const log = job.log.child({ orgId: payload.orgId, callId: payload.callId, transcriptionId: payload.transcriptionId });
  const row = await asService((tx) => transcriptionFor(tx, payload), db);
  if (!row) {
    log.warn("submit_transcription: no such request; nothing to do");
    return "skipped";
  }
  if (row.status !== "pending") return "not_pending";
  if (!row.recordingPath) {
    countSettled("error", await asService((tx) => markTranscriptionFailed(tx, payload, "The recording is not in storage."), db));
    return "failed";
  }

  if (!config().transcriber) {
    countSettled("error", await asService((tx) => markTranscriptionFailed(tx, payload, "Transcription is not configured on this server (ASSEMBLYAI_API_KEY)."), db));
    return "failed";
  }

  const secret = randomBytes(32).toString("base64url");
  if (!(await asService((tx) => armSubmission(tx, payload, secretHash(secret)), db))) return "not_pending";

  const parameters = transcriptionParameters(row);
  let transcriptId: string;
  try {
    const audioUrl = await storage().signedUrl(row.recordingPath, { expiresInSeconds: AUDIO_URL_SECONDS });
    const transcript = await timedProviderRequest("transcriber", "transcripts.submit", () => assemblyai().transcripts.submit({
      // audio_url, not `audio`: the SDK would upload a string that is not a URL as a local file.
      audio_url: audioUrl,
      ...parameters,
      webhook_url: webhookUrl(payload),
      webhook_auth_header_name: WEBHOOK_AUTH_HEADER,
      webhook_auth_header_value: secret,
    }));
    transcriptId = transcript.id;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    if (isLastAttempt(job)) {
      countSettled("error", await asService((tx) => markTranscriptionFailed(tx, payload, `AssemblyAI did not accept the request: ${message}`), db));
      log.error({ err: message }, "transcription submission failed for good");
      return "failed";
    }
    throw new Error(`AssemblyAI did not accept the request: ${message}`);
  }
  await asService((tx) => markSubmitted(tx, payload, { transcriptId, parameters: parameters as Record<string, unknown>, attempt: row.attempt }), db);
  log.info({ transcriptId }, "transcription submitted");
  return "submitted";
}
