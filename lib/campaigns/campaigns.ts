import "server-only";
import { campaignSnapshot } from "@/lib/calls/place-call";
import { sealSnapshotNumbers } from "@/lib/calls/numbers";
import type { Tx } from "@/lib/db";
import { NotFoundError, UnprocessableError } from "@/lib/errors";
import type { Membership } from "@/lib/rbac/membership";
import { storedSchedule, type CampaignCreate, type CampaignUpdate, type CampaignView } from "@/lib/campaigns/contracts";
import { findCampaign } from "@/lib/campaigns/queries";
import { campaignTransition, type CampaignAct, type CampaignState } from "@/lib/campaigns/states";

/**
 * The one module that writes `public.campaigns`: drafts (create, edit, delete) as the member
 * under RLS, and every move of its state (`moveCampaign`), for the API's acts and the runner's
 * (start, complete). The table's trigger keeps a launched campaign's definition as it was and
 * an operator to pausing and resuming; another trigger queues the runner's tick on launch and
 * resume (supabase/migrations/*_create_campaigns.sql).
 */

function refusedByDatabase(err: unknown): never {
  if ((err as { code?: string } | null)?.code === "23514") {
    throw new UnprocessableError("The campaign cannot be stored as given (a value the database refuses).", "unprocessable");
  }
  throw err;
}

/** Save a draft (the caller holds `campaign.manage`): the modulation snapshot is taken now, as a call's is when it is placed. */
export async function createCampaign(tx: Tx, { membership, input }: { membership: Membership; input: CampaignCreate }): Promise<CampaignView> {
  const snapshot = await sealSnapshotNumbers(tx, membership.orgId, "campaigns.modulations", await campaignSnapshot(tx, membership, input.modulations));
  const schedule = storedSchedule(input.schedule);
  const [row] = await tx<{ id: string }[]>`
    insert into public.campaigns (organization_id, name, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, spread, created_by)
    values (${membership.orgId}, ${input.name}, ${tx.json(snapshot as never)}, ${tx.json(input.selection as never)}, ${tx.json(schedule as never)},
            ${input.schedule.startsAt}, ${input.schedule.endsAt}, ${tx.json(input.pace as never)}, ${tx.json(input.retry as never)}, ${input.spread}, ${membership.userId})
    returning id`.catch(refusedByDatabase);
  return (await findCampaign(tx, { orgId: membership.orgId, id: row!.id }))!;
}

/** Change a draft (409 `campaign_state` once launched); new modulations take a new snapshot. */
export async function updateCampaign(tx: Tx, { membership, id, input }: { membership: Membership; id: string; input: CampaignUpdate }): Promise<CampaignView> {
  const orgId = membership.orgId;
  const current = await lockCampaign(tx, { orgId, id });
  if (current.state !== "draft") campaignTransition(current.state, "launch"); // the state machine's 409, naming what it allows
  const snapshot = input.modulations ? await sealSnapshotNumbers(tx, orgId, "campaigns.modulations", await campaignSnapshot(tx, membership, input.modulations)) : null;
  const schedule = input.schedule ? storedSchedule(input.schedule) : null;
  await tx`
    update public.campaigns set
      name = coalesce(${input.name ?? null}, name),
      modulations = coalesce(${snapshot ? tx.json(snapshot as never) : null}::jsonb, modulations),
      selection = coalesce(${input.selection ? tx.json(input.selection as never) : null}::jsonb, selection),
      schedule = coalesce(${schedule ? tx.json(schedule as never) : null}::jsonb, schedule),
      starts_at = coalesce(${input.schedule?.startsAt ?? null}::timestamptz, starts_at),
      ends_at = coalesce(${input.schedule?.endsAt ?? null}::timestamptz, ends_at),
      pace = coalesce(${input.pace ? tx.json(input.pace as never) : null}::jsonb, pace),
      retry_policy = coalesce(${input.retry ? tx.json(input.retry as never) : null}::jsonb, retry_policy),
      spread = coalesce(${input.spread ?? null}::boolean, spread)
    where organization_id = ${orgId} and id = ${id}`.catch(refusedByDatabase);
  return (await findCampaign(tx, { orgId, id }))!;
}

/** Delete a draft (409 once launched: its calls and results are kept). */
export async function deleteCampaign(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<void> {
  const current = await lockCampaign(tx, { orgId, id });
  if (current.state !== "draft") campaignTransition(current.state, "launch");
  await tx`delete from public.campaigns where organization_id = ${orgId} and id = ${id}`;
}

export interface LockedCampaign {
  id: string;
  state: CampaignState;
}

/** The campaign's row, locked for the move; 404 when it is not the organization's (or not visible to the caller). */
export async function lockCampaign(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<LockedCampaign> {
  const [row] = await tx<LockedCampaign[]>`
    select id, state from public.campaigns where organization_id = ${orgId} and id = ${id} for update`;
  if (!row) throw new NotFoundError("Campaign not found.");
  return row;
}

/**
 * Move the campaign by `act`, or 409 `campaign_state` with the state machine's message. In the
 * caller's transaction: the member's (launch, pause, resume, cancel) or the runner's service
 * transaction (start, complete). `userId` is recorded as who launched.
 */
export async function moveCampaign(tx: Tx, { orgId, id, act, userId }: { orgId: string; id: string; act: CampaignAct; userId?: string }): Promise<CampaignState> {
  const current = await lockCampaign(tx, { orgId, id });
  const to = campaignTransition(current.state, act);
  await tx`
    update public.campaigns set state = ${to},
      launched_at = ${act === "launch" ? tx`now()` : tx`launched_at`},
      launched_by = ${act === "launch" ? tx`${userId ?? null}::uuid` : tx`launched_by`},
      ended_at = ${to === "completed" || to === "cancelled" ? tx`now()` : tx`ended_at`}
    where organization_id = ${orgId} and id = ${id}`;
  return to;
}
