import { handleStatusCallback } from "@/lib/calls/provider-events";
import { signalwireRoute } from "@/lib/telephony/webhook-route";

/** SignalWire call status callback: stored once, applied forward-only. */
export const POST = signalwireRoute(async (tx, { callId, form }, { log }) => {
  const { stored, status } = await handleStatusCallback(tx, callId, form);
  log.info({ callId, providerStatus: form.CallStatus, sequence: form.SequenceNumber, stored, status }, "status callback");
  return new Response(null, { status: 204 });
});
