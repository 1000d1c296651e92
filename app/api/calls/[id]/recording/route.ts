import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import type { RecordingUrlResponse } from "@/lib/calls/contracts";
import { withUser } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";
import { storage } from "@/lib/storage";

export const dynamic = "force-dynamic";

const URL_LIFETIME_SECONDS = 300;

/**
 * A short-lived signed URL to the call's stored recording (owners, admins, operators and
 * analysts on Pro and above). The audio itself never passes through an unsigned URL.
 */
export const GET = route<{ id: string }>(async (req, { params, log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  if (!z.uuid().safeParse(params.id).success) throw new NotFoundError("Call not found.");
  const recording = await withUser(session.claims, async (tx) => {
    await authorize(session, "operations.view", orgId, tx);
    const [call] = await tx`select 1 from public.calls where id = ${params.id} and organization_id = ${orgId}`;
    if (!call) throw new NotFoundError("Call not found.");
    await authorize(session, "recording.play", orgId, tx);
    const [row] = await tx<{ status: string; storagePath: string | null; sha256: string | null; bytes: string | null; mediaType: string | null }[]>`
      select status, storage_path as "storagePath", sha256, bytes::text as bytes, media_type as "mediaType"
      from public.recordings
      where organization_id = ${orgId} and call_id = ${params.id}
      order by (status = 'stored') desc, created_at desc limit 1`;
    return row;
  });
  if (!recording) throw new NotFoundError("This call has no recording.");
  if (recording.status !== "stored" || !recording.storagePath) {
    throw new ConflictError(`The recording is not available (${recording.status}).`, "recording_not_ready", { recordingStatus: recording.status });
  }
  const url = await storage().signedUrl(recording.storagePath, { expiresInSeconds: URL_LIFETIME_SECONDS });
  log.info({ callId: params.id, orgId }, "recording URL issued");
  const body: RecordingUrlResponse = {
    url,
    expiresAt: new Date(Date.now() + URL_LIFETIME_SECONDS * 1000).toISOString(),
    sha256: recording.sha256!,
    bytes: Number(recording.bytes),
    mediaType: recording.mediaType ?? "audio/wav",
  };
  return Response.json(body);
});
