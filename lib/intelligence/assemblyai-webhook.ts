import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Db, Tx } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { ConflictError, NotFoundError, WebhookAuthError } from "@/lib/errors";
import { readJson } from "@/lib/http/route";
import { AuthenticatedButInvalid, type Verifier } from "@/lib/http/webhook-route";
import { WEBHOOK_AUTH_HEADER } from "@/lib/intelligence/submit-transcription";
import { hasArtifact } from "@/lib/intelligence/artifacts";
import { enqueueRedactedAudio, recordProviderStatus, transcriptionFor, transcriptionForWebhook, type TranscriptionTarget } from "@/lib/intelligence/transcriptions";

/**
 * AssemblyAI's webhook. AssemblyAI signs nothing: what proves a request is AssemblyAI's answer
 * to OUR request is the auth header value we chose at submission, a random secret per request
 * of which we keep only the SHA-256. So, before any other work: no header → 401; the ids in the
 * URL (ours: `?call=…&request=…`) name no request → 404; the header's SHA-256 differs from the
 * stored one (constant-time) → 401. Nothing is stored for any of these. Then the body is read
 * (64 KiB at most): `{ transcript_id, status: "completed" | "error" }` or
 * `{ redacted_audio_url, status: "redacted_audio_ready" }` — the URL is ignored: the job asks the
 * SDK for it, so a body can never make us fetch an address of its choosing.
 */

const uuid = z.uuid();
export const assemblyaiWebhookBodySchema = z.looseObject({
  status: z.string().max(64),
  transcript_id: z.string().min(1).max(128).optional(),
});

export interface VerifiedWebhook {
  target: TranscriptionTarget;
  body: z.infer<typeof assemblyaiWebhookBodySchema>;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export const assemblyaiHeader: Verifier<VerifiedWebhook> = {
  provider: "assemblyai",
  scheme: "assemblyaiWebhookSecret",
  async verify(req) {
    const given = req.headers.get(WEBHOOK_AUTH_HEADER);
    if (!given) throw new WebhookAuthError();
    const url = new URL(req.url);
    const callId = url.searchParams.get("call") ?? "";
    const transcriptionId = url.searchParams.get("request") ?? "";
    if (!uuid.safeParse(callId).success || !uuid.safeParse(transcriptionId).success) throw new NotFoundError("No such transcription request.");
    const stored = await transcriptionForWebhook(sql(), { transcriptionId, callId });
    if (!stored) throw new NotFoundError("No such transcription request.");
    // Hash both sides: equal lengths for timingSafeEqual, and the stored value is a hash anyway.
    const expected = stored.secretSha256 ? Buffer.from(stored.secretSha256, "hex") : Buffer.alloc(32);
    const ok = timingSafeEqual(sha256(given), expected) && stored.secretSha256 !== null;
    if (!ok) throw new WebhookAuthError();
    // Authenticated from here on: a body that does not parse is a 4xx, not a failed verification.
    const body = await readJson(req, assemblyaiWebhookBodySchema).catch((err: unknown) => {
      throw new AuthenticatedButInvalid(err);
    });
    return { target: { orgId: stored.orgId, callId, transcriptionId }, body };
  },
};

export type WebhookResult = "queued" | "repeat" | "settled" | "ignored";

/** One verified webhook, in the route's service transaction: remember it and queue the work, or nothing for a repeat. */
export async function handleAssemblyAIWebhook(db: Db, { target, body }: VerifiedWebhook): Promise<WebhookResult> {
  const tx = db as Tx;
  if (body.status === "completed" || body.status === "error") {
    if (!body.transcript_id) return "ignored";
    const result = await recordProviderStatus(tx, target, { transcriptId: body.transcript_id, status: body.status });
    if (result === "other_transcript") {
      // A 4xx stops AssemblyAI's retries: this request's transcript is another one.
      throw new ConflictError("This webhook names another transcript than the one this request submitted.", "transcript_mismatch");
    }
    return result;
  }
  if (body.status === "redacted_audio_ready") {
    // Only a completed, redacting request without its audio yet has anything to copy; the
    // fetch that completed it queued the copy already, so this is a second chance, not the first.
    const row = await transcriptionFor(tx, target, { lock: true });
    if (!row?.redact || row.status !== "completed") return "ignored";
    if (await hasArtifact(tx, { orgId: target.orgId, transcriptionId: target.transcriptionId, kind: "redacted_audio" })) return "repeat";
    await enqueueRedactedAudio(tx, target);
    return "queued";
  }
  return "ignored";
}
