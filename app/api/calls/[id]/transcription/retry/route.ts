import { memberRoute } from "@/lib/http/member-route";
import { retryTranscription } from "@/lib/intelligence/retry-transcription";

export const dynamic = "force-dynamic";

/**
 * Retry a failed transcription (owners and admins, Pro and up): a new request with a new
 * webhook secret. Another organization's call is 404; one whose transcription did not fail, 409.
 */
export const POST = memberRoute<{ id: string }>("recording.enable", async ({ membership, params, log }) => {
  const { transcriptionId } = await retryTranscription(membership, params.id);
  log.info({ callId: params.id, transcriptionId }, "transcription retried");
  return Response.json({ transcriptionId }, { status: 202 });
}, { transaction: false });
