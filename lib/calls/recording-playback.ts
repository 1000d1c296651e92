import "server-only";
import { z } from "zod";
import type { RecordingUrlResponse } from "@/lib/calls/contracts";
import { callExists } from "@/lib/calls/queries";
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
  { membership, callId }: { membership: Membership; callId: string },
): Promise<RecordingUrlResponse> {
  const orgId = membership.orgId;
  if (!z.uuid().safeParse(callId).success) throw new NotFoundError("Call not found.");
  if (!(await callExists(tx, { orgId, callId }))) throw new NotFoundError("Call not found.");
  check(membership, "recording.play", orgId);
  const recording = await preferredRecording(tx, { orgId, callId });
  if (!recording) throw new NotFoundError("This call has no recording.");
  if (recording.status !== "stored" || !recording.storagePath) {
    throw new ConflictError(`The recording is not available (${recording.status}).`, "recording_not_ready", { recordingStatus: recording.status });
  }
  const url = await storage().signedUrl(recording.storagePath, { expiresInSeconds: URL_LIFETIME_SECONDS });
  return {
    url,
    expiresAt: new Date(Date.now() + URL_LIFETIME_SECONDS * 1000).toISOString(),
    sha256: recording.sha256!,
    bytes: Number(recording.bytes),
    mediaType: recording.mediaType ?? "audio/wav",
  };
}
