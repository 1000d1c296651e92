import "server-only";
import { modulationSnapshotSchema, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import type { CallStatus } from "@/lib/calls/state-machine";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";

/**
 * The call a provider request names, locked for its transaction, so that concurrent callbacks
 * for one call serialize; and the checks that a callback's CallSid is this call's.
 */
export interface LockedCall {
  id: string;
  orgId: string;
  status: CallStatus;
  providerCallSid: string | null;
  snapshot: ModulationSnapshot;
}

/** The call a webhook URL names, locked for this transaction. Unknown id → 404. */
export async function lockCall(tx: Tx, callId: string, orgId?: string): Promise<LockedCall> {
  const rows = await tx<{ id: string; orgId: string; status: CallStatus; providerCallSid: string | null; modulations: unknown }[]>`
    select id, organization_id as "orgId", status::text as status, provider_call_sid as "providerCallSid", modulations
    from public.calls
    where id = ${callId} ${orgId ? tx`and organization_id = ${orgId}` : tx``}
    for update`;
  const row = rows[0];
  if (!row) throw new NotFoundError("No such call.");
  return { id: row.id, orgId: row.orgId, status: row.status, providerCallSid: row.providerCallSid, snapshot: modulationSnapshotSchema.parse(await openSnapshotNumbers(tx, row.orgId, "calls.modulations", row.modulations)) };
}

/** A callback's CallSid must be this call's; the first one we hear of is adopted. */
export function checkCallSid(call: Pick<LockedCall, "providerCallSid">, callSid: string | undefined | null): void {
  if (callSid && call.providerCallSid && call.providerCallSid !== callSid) {
    throw new ConflictError("The CallSid does not belong to this call.", "call_sid_mismatch");
  }
}
