import "server-only";
import { checkCallSid, lockCall } from "@/lib/calls/lock";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import { fromProviderStatus, type CallStatus } from "@/lib/calls/state-machine";
import { appendCallEvent, checkedPayload } from "@/lib/calls/timeline";
import type { Db, Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
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

/**
 * Store a status report once and move the call forward by the state machine, never back: one
 * statement (`private.apply_status_report`), so a status callback costs one round trip. It locks
 * the call row, checks the CallSid, refuses a re-split that drops or adds SequenceNumber, appends
 * the report to the timeline and updates the call; the realtime notice follows from triggers.
 * `db` may be a transaction (the reconciler) or the pool (a webhook: the statement is its own
 * transaction).
 */
export async function applyStatusEvent(db: Db, input: StatusEventInput): Promise<{ stored: boolean; status: CallStatus }> {
  const kind = input.source === "webhook" ? "provider.status" : "reconcile.status";
  const payload = checkedPayload(kind, input.payload);
  const [row] = await db<{ outcome: "stored" | "duplicate" | "not_found" | "sid_mismatch" | "sid_claimed"; status: CallStatus | null }[]>`
    select outcome, status::text as status from private.apply_status_report(
      ${input.callId}::uuid, ${input.orgId ?? null}::uuid, ${input.providerCallSid}::text, ${input.providerStatus}::text,
      ${fromProviderStatus(input.providerStatus)}::public.call_status, ${input.sequence}::text, ${input.occurredAt}::timestamptz,
      ${input.durationSeconds}::integer, ${kind}::text, ${db.json(payload as never)}::jsonb, ${input.source === "webhook"}::boolean)`;
  switch (row!.outcome) {
    case "not_found":
      throw new NotFoundError("No such call.");
    case "sid_mismatch":
      throw new ConflictError("The CallSid does not belong to this call.", "call_sid_mismatch");
    case "sid_claimed":
      throw new ConflictError("The CallSid belongs to another call.", "call_sid_mismatch");
    default:
      return { stored: row!.outcome === "stored", status: row!.status! };
  }
}

/**
 * A status callback's form → applyStatusEvent. Only validated fields reach the dedupe key and
 * the timeline; an unknown CallStatus (or a malformed SequenceNumber, which is part of the key)
 * is acknowledged and not stored.
 */
export async function handleStatusCallback(
  db: Db,
  callId: string,
  form: Record<string, string>,
): Promise<{ stored: boolean; status?: CallStatus; ignored?: string; dropped?: string[] }> {
  const cb = parseStatusCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  const result = await applyStatusEvent(db, {
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
