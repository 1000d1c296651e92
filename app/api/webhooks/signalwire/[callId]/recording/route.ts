import { handleRecordingCallback } from "@/lib/calls/recordings";
import { configuredSources } from "@/lib/telephony/recording-source";
import { signalwireRoute } from "@/lib/telephony/webhook-route";

/**
 * SignalWire recording status callback: a pending recording and its ingest job, once. An
 * unknown RecordingStatus is acknowledged and not stored.
 */
export const POST = signalwireRoute(async (tx, { callId, form }, { log }) => {
  const result = await handleRecordingCallback(tx, callId, form, configuredSources());
  log.info({ callId, ...result }, "recording callback");
  return new Response(null, { status: 204 });
});
