import "server-only";
import { createHash } from "node:crypto";
import { callFilterSchema } from "@/lib/calls/contracts";
import { viewFor } from "@/lib/calls/call-view";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError, UnprocessableError } from "@/lib/errors";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { matchingCallIds } from "@/lib/evidence-sealing/bulk-export";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { enqueue } from "@/lib/jobs";
import { emailsOf } from "@/lib/orgs/members";
import type { Membership } from "@/lib/rbac/authorize";
import { HOLD_MAX_CALLS, type HoldListItem, type HoldRequest, type HoldView } from "@/lib/retention/contracts";

/**
 * Legal holds (docs/adr/0037): the one writer of `legal_holds` and `legal_hold_calls`, and
 * their reads. Setting and lifting are custody events (`hold.set`, `hold.released`, the hash of
 * the hold's document), in the transaction that writes the hold. Writers take the
 * organization's holds lock exclusively and deleters take it shared (`lockHoldsShared`), so a
 * deletion either finished before a hold was set or sees it.
 */
const holdsLockKey = (orgId: string) => `legal_holds:${orgId}`;

export async function lockHoldsShared(tx: Tx, orgId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock_shared(hashtextextended(${holdsLockKey(orgId)}, 0))`;
}

async function lockHoldsExclusive(tx: Tx, orgId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${holdsLockKey(orgId)}, 0))`;
}

/** The call list's query string as its filter: unknown keys and bad values are 422. */
export function parseSavedSearch(query: string) {
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) throw new UnprocessableError(`The saved search names ${key} twice.`, "invalid_filter");
    raw[key] = value;
  }
  const parsed = callFilterSchema.strict().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UnprocessableError(`The saved search is not one the call list takes: ${issue.path.join(".") || "query"}: ${issue.message}`, "invalid_filter");
  }
  if (Object.keys(parsed.data).length === 0) throw new UnprocessableError("The saved search has no filter: hold calls by a narrower search, a campaign, or one by one.", "invalid_filter");
  return parsed.data;
}

/**
 * Set a hold. `memberTx` is the caller's own transaction (RLS on): the call must be one they can
 * see (else 404), and a saved search is run as them, through the call list's own search, so it
 * holds exactly the calls their list shows for it (at most HOLD_MAX_CALLS, else 422).
 */
export async function setHold(
  memberTx: Tx,
  { membership, requestId, request }: { membership: Membership; requestId: string; request: HoldRequest },
): Promise<HoldView> {
  const orgId = membership.orgId;
  let callIds: string[] = [];
  if (request.scope === "call") {
    const [call] = await memberTx<{ id: string }[]>`select id from public.calls where organization_id = ${orgId} and id = ${request.callId}`;
    if (!call) throw new NotFoundError("No such call.");
    callIds = [call.id];
  } else if (request.scope === "filter") {
    const filter = parseSavedSearch(request.filter);
    for await (const id of matchingCallIds(memberTx, { orgId, filter, view: viewFor(membership) })) {
      callIds.push(id);
      if (callIds.length > HOLD_MAX_CALLS) {
        throw new UnprocessableError(`The saved search matches more than ${HOLD_MAX_CALLS} calls: narrow it, or hold their campaign.`, "too_many_calls");
      }
    }
  }

  return asService(async (tx) => {
    await lockHoldsExclusive(tx, orgId);
    if (request.scope === "campaign") {
      const [campaign] = await tx`select 1 from public.campaigns where organization_id = ${orgId} and id = ${request.campaignId}`;
      if (!campaign) throw new NotFoundError("No such campaign.");
    }
    const [hold] = await tx<{ id: string; setAt: string }[]>`
      insert into public.legal_holds (organization_id, scope, call_id, campaign_id, filter, reason, set_by)
      values (${orgId}, ${request.scope}, ${request.scope === "call" ? request.callId : null}, ${request.scope === "campaign" ? request.campaignId : null},
              ${request.scope === "filter" ? request.filter : null}, ${request.reason}, ${membership.userId})
      returning id, to_json(set_at) #>> '{}' as "setAt"`;
    if (callIds.length > 0) {
      await tx`
        insert into public.legal_hold_calls (organization_id, hold_id, call_id)
        select ${orgId}, ${hold!.id}, unnest(${callIds}::uuid[])`;
    }
    const view = await holdView(tx, { orgId, holdId: hold!.id });
    await appendCustodyEvent(tx, {
      orgId, actorUserId: membership.userId, action: "hold.set", callId: request.scope === "call" ? request.callId : null,
      manifestId: null, sha256: holdDocumentSha256(view, callIds), requestId,
    });
    return view;
  });
}

/**
 * Lift a hold (404 for another organization's or no hold, 409 when already lifted). Erasure
 * requests that this hold kept from calls are carried out for the calls no other hold keeps;
 * retention's next sweep finds what is past its policy.
 */
export async function releaseHold(
  { membership, requestId, holdId, reason }: { membership: Membership; requestId: string; holdId: string; reason: string },
): Promise<HoldView> {
  const orgId = membership.orgId;
  return asService(async (tx) => {
    await lockHoldsExclusive(tx, orgId);
    const [hold] = await tx<{ releasedAt: string | null }[]>`
      select released_at as "releasedAt" from public.legal_holds where organization_id = ${orgId} and id = ${holdId} for update`;
    if (!hold) throw new NotFoundError("No such legal hold.");
    if (hold.releasedAt) throw new ConflictError("This legal hold was already lifted.", "already_released");
    await tx`
      update public.legal_holds set released_at = now(), released_by = ${membership.userId}, release_reason = ${reason}
      where organization_id = ${orgId} and id = ${holdId}`;
    const view = await holdView(tx, { orgId, holdId });
    const callIds = await protectedCallIds(tx, { orgId, holdId, limit: HOLD_MAX_CALLS + 1 });
    await appendCustodyEvent(tx, {
      orgId, actorUserId: membership.userId, action: "hold.released", callId: view.scope === "call" ? view.callId : null,
      manifestId: null, sha256: holdDocumentSha256(view, callIds), requestId,
    });
    const waiting = await tx<{ requestId: string; callId: string }[]>`
      select e.id as "requestId", c.call_id as "callId"
      from public.erasure_requests e cross join lateral unnest(e.held_call_ids) as c(call_id)
      where e.organization_id = ${orgId} and c.call_id = any(${callIds}::uuid[]) and not private.call_held(${orgId}, c.call_id)`;
    for (const w of waiting) {
      await enqueue(tx, "apply_retention", { orgId, callId: w.callId, erasureRequestId: w.requestId }, { jobKey: `erasure:${w.requestId}:${w.callId}` });
    }
    return view;
  });
}

/**
 * The organization's holds, active first, newest first, each with how many calls it protects
 * and who set and lifted it (by email: the people who may read holds must know who acted). Read
 * as the member.
 */
export async function listHolds(tx: Tx, { orgId }: { orgId: string }): Promise<HoldListItem[]> {
  const holds = await tx<HoldView[]>`
    select ${holdColumns(tx)}
    from public.legal_holds h where h.organization_id = ${orgId}
    order by (h.released_at is null) desc, h.set_at desc, h.id
    limit 500`;
  const emails = await emailsOf(holds.flatMap((h) => (h.releasedBy ? [h.setBy, h.releasedBy] : [h.setBy])));
  return holds.map((h) => ({ ...h, setByEmail: emails.get(h.setBy) ?? null, releasedByEmail: h.releasedBy ? (emails.get(h.releasedBy) ?? null) : null }));
}

/** The calls a hold protects (a campaign's as of now), newest first. */
export async function protectedCallIds(tx: Tx, { orgId, holdId, limit }: { orgId: string; holdId: string; limit: number }): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`
    select c.id from public.calls c
    where c.organization_id = ${orgId} and (
      c.id in (select call_id from public.legal_hold_calls where organization_id = ${orgId} and hold_id = ${holdId})
      or c.id in (select a.call_id from public.legal_holds h join public.campaign_attempts a on a.organization_id = h.organization_id and a.campaign_id = h.campaign_id
                  where h.organization_id = ${orgId} and h.id = ${holdId} and a.call_id is not null))
    order by c.created_at desc, c.id desc limit ${limit}`;
  return rows.map((r) => r.id);
}

function holdColumns(tx: Tx) {
  return tx`
    h.id, h.scope, h.call_id as "callId", h.campaign_id as "campaignId", h.filter, h.reason, h.set_by as "setBy",
    to_json(h.set_at) #>> '{}' as "setAt", to_json(h.released_at) #>> '{}' as "releasedAt", h.released_by as "releasedBy",
    h.release_reason as "releaseReason",
    (case when h.scope = 'campaign'
       then (select count(distinct a.call_id) from public.campaign_attempts a where a.organization_id = h.organization_id and a.campaign_id = h.campaign_id and a.call_id is not null)
       else (select count(*) from public.legal_hold_calls hc where hc.organization_id = h.organization_id and hc.hold_id = h.id)
     end)::int as calls`;
}

async function holdView(tx: Tx, { orgId, holdId }: { orgId: string; holdId: string }): Promise<HoldView> {
  const [view] = await tx<HoldView[]>`select ${holdColumns(tx)} from public.legal_holds h where h.organization_id = ${orgId} and h.id = ${holdId}`;
  return view!;
}

/** What a custody event about a hold names: SHA-256 of the canonical JSON of the hold and the calls it covers. */
function holdDocumentSha256(view: HoldView, callIds: string[]): string {
  return createHash("sha256").update(canonicalJson({ hold: view, callIds: [...callIds].sort() })).digest("hex");
}
