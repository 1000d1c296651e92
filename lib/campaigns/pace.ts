import "server-only";
import { z } from "zod";
import type { Tx } from "@/lib/db";
import { ConflictError } from "@/lib/errors";

/**
 * A campaign's pace, kept by every worker process together: at most `dialsPerSecond` dials in
 * ANY 1-second window (not only whole seconds), and at most `maxLive` calls in progress at once.
 *
 * Rate: a token bucket of ONE token in Postgres (private.campaign_pace), refilled every
 * 1/N s plus 1 µs, on the database's clock. A bucket holding B tokens lets B − 1 more than N
 * through in some 1-second window (B at once, then N − 1 more as it refills), so one token is
 * the only size that keeps the promise: dials come evenly spaced, N + 1 of them always span
 * more than a second. docs/adr/0034 says why not rate-limiter-flexible's store (fixed windows).
 *
 * Live: counted by the caller from its own records (the campaign's calls not yet final), never
 * kept as a counter here, so a worker that dies with calls in flight leaks no slot: once the
 * reconciler settles those calls they stop counting. The count is taken while this campaign's
 * row is locked, and the row stays locked until the caller's transaction ends; so the caller
 * records the dial it was granted (what `countLive` counts) in that same transaction, and the
 * next worker's count, which waits for the lock, sees it.
 */
export const paceSchema = z.object({
  dialsPerSecond: z.number().positive().max(100),
  maxLive: z.int().min(1).max(1000),
});
export type Pace = z.infer<typeof paceSchema>;

export type DialSlot =
  /** `at` is the database's clock when the slot was granted; `atMicroseconds` the same in µs since the epoch. */
  | { granted: true; at: Date; atMicroseconds: number }
  /** Too soon: the next slot opens in `retryInMs` (at the earliest: another worker may take it). */
  | { granted: false; reason: "pace"; retryInMs: number }
  /** `maxLive` calls are in progress: try again when one of them ends. */
  | { granted: false; reason: "live"; live: number };

/** Time between two grants: a microsecond over 1/N s, so that N + 1 grants span strictly more than one second. */
export function dialSpacingMicroseconds(dialsPerSecond: number): number {
  return Math.floor(1_000_000 / dialsPerSecond) + 1;
}

export interface TakeDialSlot {
  orgId: string;
  campaignId: string;
  pace: Pace;
  /** The campaign's calls in progress, counted in `tx` (after the campaign's row is locked). */
  countLive: (tx: Tx) => Promise<number>;
}

/**
 * Ask for one dial of the campaign. Run it in the transaction that then records the dial (a
 * service transaction, `asService`), and keep that transaction short: every other worker's
 * request for this campaign waits for it. If the transaction rolls back, the slot is not used
 * (neither the pace nor the live count sees it), as a dial never recorded is never placed.
 */
export async function takeDialSlot(tx: Tx, { orgId, campaignId, pace, countLive }: TakeDialSlot): Promise<DialSlot> {
  const { dialsPerSecond, maxLive } = paceSchema.parse(pace);
  // The campaign's row, made by its first request, and locked: racing workers queue here.
  const [row] = await tx<{ organizationId: string; waitUs: number }[]>`
    insert into private.campaign_pace as p (campaign_id, organization_id) values (${campaignId}, ${orgId})
    on conflict (campaign_id) do update set organization_id = p.organization_id
    returning p.organization_id as "organizationId",
              coalesce(greatest(0, extract(epoch from p.next_at - clock_timestamp()) * 1000000), 0)::float8 as "waitUs"`;
  if (row!.organizationId !== orgId) throw new ConflictError("This campaign belongs to another organization.", "campaign_organization");
  if (row!.waitUs > 0) return { granted: false, reason: "pace", retryInMs: Math.ceil(row!.waitUs / 1000) };

  const live = await countLive(tx);
  if (live >= maxLive) return { granted: false, reason: "live", live };

  // Still locked, so the clock read here is later than every grant before it: one UPDATE takes
  // the token and sets when the next one comes.
  const [taken] = await tx<{ atUs: number }[]>`
    with c as (select clock_timestamp() as now)
    update private.campaign_pace p
    set last_granted_at = c.now, next_at = c.now + ${dialSpacingMicroseconds(dialsPerSecond)} * interval '1 microsecond'
    from c
    where p.campaign_id = ${campaignId} and (p.next_at is null or p.next_at <= c.now)
    returning (extract(epoch from c.now) * 1000000)::float8 as "atUs"`;
  // Only if the database's clock stepped back between the two statements.
  if (!taken) return { granted: false, reason: "pace", retryInMs: 1 };
  return { granted: true, at: new Date(Math.floor(taken.atUs / 1000)), atMicroseconds: taken.atUs };
}

/**
 * The second gate, at the carrier's door: ask just before the call is sent to the carrier, after
 * `takeDialSlot` granted it and its attempt committed. A grant reaches the carrier only after a
 * commit, the call's insert and an HTTP request, whose delays vary (a worker's first dial after
 * it started is hundreds of milliseconds slower), so grants 1/N s apart could still arrive N + 1
 * within a second. Sends are spaced 1/N s + 1 µs apart here, by one UPDATE of the campaign's
 * row (no lock held past it), which leaves only the network's jitter between send and arrival.
 * Refused: the wait until the next send may go. A campaign that never took a dial slot has no
 * row, and no send is refused then.
 */
export async function takeSendSlot(tx: Tx, { orgId, campaignId, dialsPerSecond }: { orgId: string; campaignId: string; dialsPerSecond: number }): Promise<{ sent: true } | { sent: false; retryInMs: number }> {
  const spacing = dialSpacingMicroseconds(paceSchema.shape.dialsPerSecond.parse(dialsPerSecond));
  const [row] = await tx<{ sent: boolean; waitUs: number }[]>`
    with c as (select clock_timestamp() as now),
    taken as (
      update private.campaign_pace p set next_send_at = c.now + ${spacing} * interval '1 microsecond'
      from c
      where p.campaign_id = ${campaignId} and p.organization_id = ${orgId} and (p.next_send_at is null or p.next_send_at <= c.now)
      returning 1
    )
    select exists (select 1 from taken)
             or not exists (select 1 from private.campaign_pace p where p.campaign_id = ${campaignId} and p.organization_id = ${orgId}) as sent,
           coalesce((select greatest(0, extract(epoch from p.next_send_at - c.now) * 1000000) from private.campaign_pace p, c
                     where p.campaign_id = ${campaignId} and p.organization_id = ${orgId}), 0)::float8 as "waitUs"`;
  if (row!.sent) return { sent: true };
  return { sent: false, retryInMs: Math.max(1, Math.ceil(row!.waitUs / 1000)) };
}
