import "server-only";
import { z } from "zod";
import { asService } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { latestTranscription, requestTranscription } from "@/lib/intelligence/transcriptions";
import type { Membership } from "@/lib/rbac/authorize";

/**
 * An owner's or admin's retry of a failed transcription (authorized for `recording.enable` by
 * the route): a new request for the same stored recording, submitted with a new secret. The
 * failed request stays as it was (settled rows never change); the new one names it in
 * `retry_of`. Only the latest request may be retried, and only when it failed.
 */
export async function retryTranscription(membership: Membership, callId: string): Promise<{ transcriptionId: string }> {
  if (!z.uuid().safeParse(callId).success) throw new NotFoundError("Call not found.");
  return asService(async (tx) => {
    const [call] = await tx`select 1 from public.calls where organization_id = ${membership.orgId} and id = ${callId} for update`;
    if (!call) throw new NotFoundError("Call not found.");
    const latest = await latestTranscription(tx, { orgId: membership.orgId, callId });
    if (!latest) throw new ConflictError("This call has no transcription to retry.", "nothing_to_retry");
    if (latest.status !== "error") {
      throw new ConflictError(`The transcription is ${latest.status}; only a failed one can be retried.`, "not_failed", { status: latest.status });
    }
    const id = await requestTranscription(tx, {
      orgId: membership.orgId, callId, recordingId: latest.recordingId, retryOf: latest.id, requestedBy: membership.userId,
    });
    if (!id) throw new ConflictError("This call's recording cannot be transcribed (no stored recording, or the call did not ask for transcription).", "not_transcribable");
    return { transcriptionId: id };
  });
}
