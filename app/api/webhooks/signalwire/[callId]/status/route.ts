import { handleStatusCallback } from "@/lib/calls/status";
import { signalwireRoute } from "@/lib/telephony/webhook-route";

/**
 * SignalWire call status callback: stored once, applied forward-only. An unknown CallStatus is
 * acknowledged and not stored; optional fields outside their domain are dropped.
 */
export const POST = signalwireRoute(async (db, { callId, form }, { log }) => {
  const result = await handleStatusCallback(db, callId, form);
  log.info({ callId, sequence: form.SequenceNumber, ...result }, "status callback");
  return new Response(null, { status: 204 });
}, { transaction: false });
