import "server-only";
import { checkCallSid, checkSidUnclaimed, lockCall } from "@/lib/calls/lock";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import { advance, fromProviderStatus, isFinal, type CallStatus } from "@/lib/calls/state-machine";
import { appendCallEvent, statusReportedWithOtherSequence } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { isIgnored, parseDialCallback, parseStatusCallback } from "@/lib/telephony/callbacks";

/**
 * A call's progress as the provider reports it: status callbacks (and the reconciler's reads of
 * the same), applied forward-only, and the bridge flow's target-leg outcome. Every report is
 * stored once on the timeline (the dedupe key is provider identity + status + sequence, never
 * the call sid alone) under the call's row lock, and only then changes state. The result of any
 * order of any number of repeats equals that of one in-order delivery
 * (tests/integration/callbacks-property.test.ts).
 */

export interface StatusEventInput {
  /** Known to the reconciler; a webhook knows only the call id in its URL. */
  orgId?: string;
  callId: string;
  providerCallSid: string;
  providerStatus: string;
  occurredAt: Date | null;
  sequence: string | null;
  durationSeconds: number | null;
  source: "webhook" | "reconciler";
  payload: Record<string, string>;
}

/** Store a status report once and move the call forward by the state machine, never back. */
export async function applyStatusEvent(tx: Tx, input: StatusEventInput): Promise<{ stored: boolean; status: CallStatus }> {
  const call = await lockCall(tx, input.callId, input.orgId);
  checkCallSid(call, input.providerCallSid);
  if (!call.providerCallSid) await checkSidUnclaimed(tx, call.id, input.providerCallSid);
  // A status report without a SequenceNumber is the same report as one with it for the same
  // CallSid and status (and the other way round): a re-split that swallows SequenceNumber
  // (From=+1555…SequenceNumber4) must not store a second row. The row lock orders this check
  // and the insert.
  if (
    input.source === "webhook" &&
    (await statusReportedWithOtherSequence(tx, { callId: call.id, callSid: input.providerCallSid, status: input.providerStatus, sequence: input.sequence }))
  ) {
    return { stored: false, status: call.status };
  }
  const stored = await appendCallEvent(tx, call, input.source === "webhook" ? "provider.status" : "reconcile.status", input.payload, {
    dedupeKey: `status:${input.providerCallSid}:${input.providerStatus}:${input.sequence ?? ""}`,
    occurredAt: input.occurredAt,
  });
  if (!stored) return { stored, status: call.status };

  const incoming = fromProviderStatus(input.providerStatus);
  const next = incoming ? advance(call.status, incoming) : call.status;
  const becameFinal = !isFinal(call.status) && isFinal(next);
  // answered_at is the earliest "in progress" report whatever order reports come in, so a late
  // `answered` after `completed` still records when the call was answered.
  const answered = incoming === "in_progress" ? (input.occurredAt ?? new Date()) : null;
  await tx`
    update public.calls set
      status = ${next},
      provider_call_sid = coalesce(provider_call_sid, ${input.providerCallSid}),
      answered_at = case when ${answered}::timestamptz is null then answered_at
                         else least(coalesce(answered_at, ${answered}::timestamptz), ${answered}::timestamptz) end,
      ended_at = case when ${becameFinal} then coalesce(${input.occurredAt}, now()) else ended_at end,
      duration_seconds = case when ${becameFinal} then ${input.durationSeconds} else duration_seconds end,
      updated_at = now()
    where id = ${call.id} and organization_id = ${call.orgId}`;
  return { stored, status: next };
}

/**
 * A status callback's form → applyStatusEvent. Only validated fields reach the dedupe key and
 * the timeline; an unknown CallStatus (or a malformed SequenceNumber, which is part of the key)
 * is acknowledged and not stored.
 */
export async function handleStatusCallback(
  tx: Tx,
  callId: string,
  form: Record<string, string>,
): Promise<{ stored: boolean; status?: CallStatus; ignored?: string; dropped?: string[] }> {
  const cb = parseStatusCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  const result = await applyStatusEvent(tx, {
    callId,
    providerCallSid: cb.callSid,
    providerStatus: cb.callStatus,
    occurredAt: cb.occurredAt,
    sequence: cb.sequence === null ? null : String(cb.sequence),
    durationSeconds: cb.durationSeconds,
    source: "webhook",
    payload: cb.payload,
  });
  return { ...result, dropped: cb.dropped };
}

/** The Dial action of the bridge flow: the target leg's outcome goes on the timeline. */
export async function handleDialResult(tx: Tx, callId: string, form: Record<string, string>): Promise<ModulationSnapshot> {
  const cb = parseDialCallback(form);
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  // A DialCallStatus outside the documented values is acknowledged (the document is still
  // served) and not stored.
  if (cb.dialCallStatus) {
    await appendCallEvent(tx, call, "provider.dial", cb.payload, { dedupeKey: `dial:${cb.dialCallSid ?? cb.callSid ?? ""}:${cb.dialCallStatus}` });
  }
  return call.snapshot;
}
