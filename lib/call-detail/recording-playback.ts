import "server-only";
import { z } from "zod";
import type { RecordingUrlResponse } from "@/lib/calls/contracts";
import { currentArtifacts } from "@/lib/intelligence/artifacts";
import { preferredRecording } from "@/lib/calls/recordings";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { check, type Membership } from "@/lib/rbac/authorize";
import { storage } from "@/lib/storage";

const URL_LIFETIME_SECONDS = 300;

/**
 * A short-lived signed URL to a call's stored recording. The caller was authorized to see the
 * organization's calls; a call that is not there is 404 whoever asks, and only then does playing
 * need its own permission (owners, admins, operators and analysts on Pro and above). The audio
 * itself never passes through an unsigned URL.
 */
export async function playableRecording(
  tx: Tx,
  { membership, callId, original = false }: { membership: Membership; callId: string; original?: boolean },
): Promise<RecordingUrlResponse> {
  const orgId = membership.orgId;
  if (!z.uuid().safeParse(callId).success) throw new NotFoundError("Call not found.");
  const [call] = await tx<{ redact: boolean }[]>`
    select coalesce((modulations ->> 'redact')::boolean, false) as redact from public.calls where organization_id = ${orgId} and id = ${callId}`;
  if (!call) throw new NotFoundError("Call not found.");
  check(membership, "recording.play", orgId);
  if (original) check(membership, "transcript.original", orgId);
  // A call that redacted PII plays its redacted audio, unless an owner or admin asked for the original.
  if (call.redact && !original) return redactedAudio(tx, orgId, callId);
  const recording = await preferredRecording(tx, { orgId, callId });
  if (!recording) throw new NotFoundError("This call has no recording.");
  if (recording.status !== "stored" || !recording.storagePath) {
    throw new ConflictError(`The recording is not available (${recording.status}).`, "recording_not_ready", { recordingStatus: recording.status });
  }
  return signed(recording.storagePath, recording.sha256!, Number(recording.bytes), recording.mediaType ?? "audio/wav");
}

async function redactedAudio(tx: Tx, orgId: string, callId: string): Promise<RecordingUrlResponse> {
  const audio = (await currentArtifacts(tx, { orgId, callId, kinds: ["redacted_audio"] })).at(-1);
  if (!audio?.storagePath) {
    throw new ConflictError("The redacted audio of this call is not available yet.", "redacted_audio_not_ready", { recordingStatus: "pending" });
  }
  return signed(audio.storagePath, audio.sha256, Number(audio.bytes), audio.mediaType ?? "audio/wav");
}

async function signed(path: string, sha256: string, bytes: number, mediaType: string): Promise<RecordingUrlResponse> {
  const url = await storage().signedUrl(path, { expiresInSeconds: URL_LIFETIME_SECONDS });
  return {
    url,
    expiresAt: new Date(Date.now() + URL_LIFETIME_SECONDS * 1000).toISOString(),
    sha256,
    bytes,
    mediaType,
  };
}
