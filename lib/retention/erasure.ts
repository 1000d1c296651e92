import "server-only";
import { asService, type Tx } from "@/lib/db";
import { enqueue } from "@/lib/jobs";
import { emailsOf } from "@/lib/orgs/members";
import { numberHash, openNumbers, sealNumber } from "@/lib/pii/numbers";
import type { Membership } from "@/lib/rbac/authorize";
import { lockHoldsShared } from "@/lib/retention/holds";
import type { ErasureRequestView, ErasureResult } from "@/lib/retention/contracts";

/**
 * Erasure on request for a data subject (docs/adr/0037): the one writer of `erasure_requests`.
 * Every call of the organization to or from the number loses all its content through
 * `applyRetention` with the reason `erasure_request` (one job per call); calls a hold keeps are
 * named in the request and erased when their last hold is lifted (lib/retention/holds.ts). The
 * call rows and the sealed manifests keep the number: they are the record that the calls
 * happened and of what was erased. The request keeps the number sealed, with its keyed hash,
 * which is also how the calls are found (docs/adr/0044).
 */
export async function requestErasure(
  { membership, phoneNumber, reason }: { membership: Membership; phoneNumber: string; reason?: string },
): Promise<ErasureResult> {
  const orgId = membership.orgId;
  return asService(async (tx) => {
    await lockHoldsShared(tx, orgId);
    const [hash, sealed] = await Promise.all([numberHash(orgId, phoneNumber), sealNumber(tx, orgId, "erasure_requests.phone_number", phoneNumber)]);
    // By the hash; a call the re-sealing pass has not reached yet may still hold the number in E.164.
    const calls = await tx<{ id: string; held: boolean }[]>`
      select id, private.call_held(organization_id, id) as held from public.calls
      where organization_id = ${orgId}
        and (from_number_hash = ${hash} or to_number_hash = ${hash} or from_number = ${phoneNumber} or to_number = ${phoneNumber})
      order by created_at, id`;
    const erasing = calls.filter((c) => !c.held).map((c) => c.id);
    const held = calls.filter((c) => c.held).map((c) => c.id);
    const [row] = await tx<{ id: string }[]>`
      insert into public.erasure_requests (organization_id, phone_number, phone_number_hash, reason, requested_by, call_ids, held_call_ids)
      values (${orgId}, ${sealed}, ${hash}, ${reason ?? null}, ${membership.userId}, ${calls.map((c) => c.id)}::uuid[], ${held}::uuid[])
      returning id`;
    for (const callId of erasing) {
      await enqueue(tx, "apply_retention", { orgId, callId, erasureRequestId: row!.id }, { jobKey: `erasure:${row!.id}:${callId}` });
    }
    return { id: row!.id, phoneNumber, erasing, held };
  });
}

/** The organization's erasure requests, newest first, with who asked by email. Read as the member. */
export async function listErasureRequests(tx: Tx, { orgId }: { orgId: string }): Promise<ErasureRequestView[]> {
  const rows = await tx<Array<Omit<ErasureRequestView, "requestedByEmail">>>`
    select id, phone_number as "phoneNumber", reason, requested_by as "requestedBy", to_json(requested_at) #>> '{}' as "requestedAt",
           call_ids as "callIds", held_call_ids as "heldCallIds"
    from public.erasure_requests where organization_id = ${orgId} order by requested_at desc limit 100`;
  const [emails, numbers] = await Promise.all([
    emailsOf(rows.map((r) => r.requestedBy)),
    openNumbers(tx, rows.map((r) => ({ orgId, field: "erasure_requests.phone_number" as const, value: r.phoneNumber }))),
  ]);
  return rows.map((r, i) => ({ ...r, phoneNumber: numbers[i]!, requestedByEmail: emails.get(r.requestedBy) ?? null }));
}
