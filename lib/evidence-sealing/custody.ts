import "server-only";
import { z } from "zod";
import type { Tx } from "@/lib/db";
import { custodyEventHash, type CustodyEventFields } from "@/lib/evidence/custody";

/**
 * The custody record (`custody_events`): the one writer, over a catalogue of actions. Each
 * append takes a per-organization advisory lock, reads the chain's last event and links to it
 * (lib/evidence/custody.ts computes the hash); the insert trigger refuses a fork.
 */
export const custodyActionSchema = z.enum(["manifest.sealed", "evidence.viewed", "evidence.exported", "evidence.verified", "hold.set", "hold.released"]);
export type CustodyAction = z.infer<typeof custodyActionSchema>;

export interface CustodyEventInput {
  orgId: string;
  /** The member who acted; null for the system (the sealing job). */
  actorUserId: string | null;
  action: CustodyAction;
  callId: string | null;
  manifestId: string | null;
  /** The hash of what was sealed, viewed, exported or verified. */
  sha256: string | null;
  requestId: string | null;
}

// ORDER BY names the table's column (c.sequence): a bare `sequence` would be the text output
// column of the same name, and "9" sorts after "10".
export async function appendCustodyEvent(tx: Tx, e: CustodyEventInput): Promise<{ sequence: number; hash: string }> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`custody_events:${e.orgId}`}, 0))`;
  const [last] = await tx<{ sequence: string; hash: string }[]>`
    select c.sequence::text, c.hash from public.custody_events c where c.organization_id = ${e.orgId} order by c.sequence desc limit 1`;
  const [now] = await tx<{ at: string }[]>`select to_char(clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at`;
  const fields: CustodyEventFields = {
    organizationId: e.orgId,
    sequence: last ? Number(last.sequence) + 1 : 1,
    actorUserId: e.actorUserId,
    action: custodyActionSchema.parse(e.action),
    callId: e.callId,
    manifestId: e.manifestId,
    sha256: e.sha256,
    requestId: e.requestId,
    occurredAt: now!.at,
    previousHash: last?.hash ?? null,
  };
  const hash = custodyEventHash(fields);
  await tx`
    insert into public.custody_events (organization_id, sequence, actor_user_id, action, call_id, manifest_id, sha256, request_id, occurred_at, previous_hash, hash)
    values (${e.orgId}, ${fields.sequence}, ${e.actorUserId}, ${fields.action}, ${e.callId}, ${e.manifestId}, ${e.sha256}, ${e.requestId},
            ${fields.occurredAt}, ${fields.previousHash}, ${hash})`;
  return { sequence: fields.sequence, hash };
}

/**
 * `appendCustodyEvent` unless this request already recorded this action for this call: a bulk
 * export's job may run again after a crash, and each call it exports is one event per export
 * (its request id names the export), however many attempts it took.
 */
export async function appendCustodyEventOnce(tx: Tx, e: CustodyEventInput & { requestId: string; callId: string }): Promise<{ sequence: number; hash: string; appended: boolean }> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`custody_events:${e.orgId}`}, 0))`;
  const [existing] = await tx<{ sequence: string; hash: string }[]>`
    select c.sequence::text, c.hash from public.custody_events c
    where c.organization_id = ${e.orgId} and c.call_id = ${e.callId} and c.action = ${e.action} and c.request_id = ${e.requestId}
    order by c.sequence limit 1`;
  if (existing) return { sequence: Number(existing.sequence), hash: existing.hash, appended: false };
  return { ...(await appendCustodyEvent(tx, e)), appended: true };
}

/** An organization's custody events, in chain order, as the hash covers them. */
export async function custodyEvents(tx: Tx, orgId: string): Promise<Array<CustodyEventFields & { hash: string }>> {
  const rows = await tx<Array<CustodyEventFields & { sequence: string; hash: string }>>`
    select organization_id as "organizationId", sequence::text, actor_user_id as "actorUserId", action, call_id as "callId",
           manifest_id as "manifestId", sha256, request_id as "requestId",
           to_char(occurred_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt", previous_hash as "previousHash", hash
    from public.custody_events c where c.organization_id = ${orgId} order by c.sequence`;
  return rows.map((r) => ({ ...r, sequence: Number(r.sequence) }));
}

/** One call's custody events, in chain order (what a bundle's custody.json carries). */
export async function custodyEventsOfCall(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<Array<CustodyEventFields & { hash: string }>> {
  const rows = await tx<Array<CustodyEventFields & { sequence: string; hash: string }>>`
    select organization_id as "organizationId", sequence::text, actor_user_id as "actorUserId", action, call_id as "callId",
           manifest_id as "manifestId", sha256, request_id as "requestId",
           to_char(occurred_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt", previous_hash as "previousHash", hash
    from public.custody_events c where c.organization_id = ${orgId} and c.call_id = ${callId} order by c.sequence`;
  return rows.map((r) => ({ ...r, sequence: Number(r.sequence) }));
}
