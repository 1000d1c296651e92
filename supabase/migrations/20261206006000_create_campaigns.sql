-- Campaigns (issue 20, docs/adr/0035): an organization's programs of calls. Three tables:
--   public.campaigns          the program: name, state (lib/campaigns/states.ts), the modulation
--                             snapshot every call of it runs with (frozen when the draft was last
--                             saved, script or survey version included), the target selection, the
--                             schedule, pace and retry policy, the spread flag. Written by
--                             lib/campaigns/campaigns.ts (members, under RLS; the runner through it).
--   public.campaign_targets   one row per target, made at launch: the number and time zone copied
--                             then, the target's state in the run, attempts, when it is next due,
--                             the last outcome and the call of each attempt. Inserted at launch by
--                             the launching member (RLS); every later write is the runner's
--                             (lib/campaigns/runner.ts, service path).
--   public.campaign_attempts  one row per dial, (campaign, target, attempt) unique: the
--                             idempotency key, recorded before the dial in the transaction that
--                             took the pace slot. Written by lib/campaigns/runner.ts only.
--
-- Who may do what is the policy table's (lib/rbac/policy.ts, the same cells below):
--   campaign.read    every member: see campaigns, their progress and results (pro and up)
--   campaign.manage  owners and admins: create, edit and delete drafts, launch, cancel
--   campaign.pause   owners, admins and operators: pause and resume a running campaign
-- Campaigns need the pro plan: they dial at scale on the organization's carrier account, and
-- their results are worth little without the recordings pro brings.

insert into private.action_plans (action, min_plan) values
  ('campaign.read', 'pro'),
  ('campaign.manage', 'pro'),
  ('campaign.pause', 'pro');
insert into private.permissions (action, role) values
  ('campaign.read', 'owner'), ('campaign.read', 'admin'), ('campaign.read', 'operator'), ('campaign.read', 'analyst'), ('campaign.read', 'viewer'),
  ('campaign.manage', 'owner'), ('campaign.manage', 'admin'),
  ('campaign.pause', 'owner'), ('campaign.pause', 'admin'), ('campaign.pause', 'operator');

create table public.campaigns (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 200 and name = btrim(name)),
  state text not null default 'draft'
    check (state in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
  -- The modulation snapshot every call of the campaign runs with (lib/calls/snapshot.ts without
  -- `to`, which each call adds): survey or script documents frozen with their hashes.
  modulations jsonb not null,
  -- {"tags": [...]} (targets carrying every tag) or {"targetIds": [...]}.
  selection jsonb not null check (selection ? 'tags' or selection ? 'targetIds'),
  schedule jsonb not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null check (ends_at > starts_at),
  pace jsonb not null,
  retry_policy jsonb not null,
  spread boolean not null default false,
  created_by uuid not null,
  launched_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  launched_at timestamptz,
  ended_at timestamptz,
  unique (organization_id, id),
  check ((state = 'draft') = (launched_at is null))
);
alter table public.campaigns enable row level security;
create index campaigns_org_created_idx on public.campaigns (organization_id, created_at desc, id desc);
-- The runner's and the outcome's reads of live campaigns.
create index campaigns_live_idx on public.campaigns (organization_id, id) where state in ('scheduled', 'running', 'paused');

revoke all on public.campaigns from anon, authenticated;
grant select, insert, update, delete on public.campaigns to authenticated;
grant all on public.campaigns to service_role;

create policy "Members can read their organization's campaigns"
  on public.campaigns for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('campaign.read'))::uuid[]));

create policy "Owners and admins can create draft campaigns as themselves"
  on public.campaigns for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('campaign.manage'))::uuid[])
    and created_by = (select auth.uid())
    and state = 'draft'
  );

-- Operators reach the row to pause or resume it; the trigger keeps them to that.
create policy "Owners and admins can change campaigns, operators can pause and resume them"
  on public.campaigns for update to authenticated
  using (
    organization_id = any ((select private.org_ids_allowing('campaign.manage'))::uuid[])
    or organization_id = any ((select private.org_ids_allowing('campaign.pause'))::uuid[])
  )
  with check (
    organization_id = any ((select private.org_ids_allowing('campaign.manage'))::uuid[])
    or organization_id = any ((select private.org_ids_allowing('campaign.pause'))::uuid[])
  );

create policy "Owners and admins can delete draft campaigns"
  on public.campaigns for delete to authenticated
  using (organization_id = any ((select private.org_ids_allowing('campaign.manage'))::uuid[]) and state = 'draft');

-- Identity and provenance never change; a launched campaign's definition never changes (its
-- calls ran with it); a member without campaign.manage may only move running ⇄ paused.
create function private.guard_campaign() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_service boolean := current_setting('role', true) = 'service_role';
begin
  if tg_op = 'INSERT' then
    new.created_at := now();
    new.updated_at := now();
    return new;
  end if;
  if new.id <> old.id or new.organization_id <> old.organization_id
     or new.created_by <> old.created_by or new.created_at <> old.created_at then
    raise exception 'a campaign''s identity and provenance do not change' using errcode = 'insufficient_privilege';
  end if;
  if old.state <> 'draft'
     and (new.name, new.modulations, new.selection, new.schedule, new.starts_at, new.ends_at, new.pace, new.retry_policy, new.spread)
         is distinct from (old.name, old.modulations, old.selection, old.schedule, old.starts_at, old.ends_at, old.pace, old.retry_policy, old.spread) then
    raise exception 'a launched campaign''s definition does not change' using errcode = 'insufficient_privilege';
  end if;
  if not v_service and not private.can(old.organization_id, 'campaign.manage') then
    if not ((old.state, new.state) in (('running', 'paused'), ('paused', 'running'))) then
      raise exception 'only pausing and resuming a campaign is allowed to this member' using errcode = 'insufficient_privilege';
    end if;
  end if;
  new.updated_at := now();
  return new;
end
$$;
revoke all on function private.guard_campaign() from public;

create trigger campaigns_guard before insert or update on public.campaigns
  for each row execute function private.guard_campaign();

-- A campaign that is scheduled or running has a tick on the queue (one per campaign: the job
-- key), enqueued in the transaction that moved it there: launch (at its start), resume.
create function private.enqueue_campaign_tick() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.enqueue_job(
    p_task => 'campaign_tick',
    p_payload => jsonb_build_object('orgId', new.organization_id, 'campaignId', new.id),
    p_job_key => 'campaign_tick:' || new.id::text,
    p_run_at => case when new.state = 'scheduled' then greatest(new.starts_at, now()) else now() end
  );
  return null;
end
$$;
revoke all on function private.enqueue_campaign_tick() from public;

create trigger campaigns_tick
  after update of state on public.campaigns
  for each row
  when (old.state is distinct from new.state and new.state in ('scheduled', 'running'))
  execute function private.enqueue_campaign_tick();

-- The pace's row goes with its campaign.
alter table private.campaign_pace
  add constraint campaign_pace_campaign_fkey foreign key (campaign_id) references public.campaigns (id) on delete cascade;

create table public.campaign_targets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  campaign_id uuid not null,
  target_id uuid not null,
  -- Copied at launch: what the campaign dials, and the clock its window is read on.
  name text not null,
  number text not null check (number ~ '^\+[1-9][0-9]{6,14}$'),
  time_zone text not null,
  state text not null default 'pending'
    check (state in ('pending', 'calling', 'retrying', 'done', 'skipped_dnc', 'skipped_window', 'skipped_invalid')),
  attempts integer not null default 0 check (attempts between 0 and 100),
  -- When the target is next due (pending, retrying); null otherwise.
  next_at timestamptz,
  last_outcome text check (last_outcome in ('answered', 'busy', 'no_answer', 'failed')),
  call_ids uuid[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (campaign_id, target_id),
  unique (organization_id, id),
  foreign key (organization_id, campaign_id) references public.campaigns (organization_id, id) on delete cascade,
  -- A target deleted after launch keeps its row here (its calls happened); the runner re-reads
  -- the do-not-call mark by target id and skips one that is gone.
  check ((state in ('pending', 'retrying')) = (next_at is not null))
);
alter table public.campaign_targets enable row level security;
-- The runner's pick: due targets of one campaign, oldest due first.
create index campaign_targets_due_idx on public.campaign_targets (campaign_id, next_at) where state in ('pending', 'retrying');
create index campaign_targets_state_idx on public.campaign_targets (campaign_id, state);

revoke all on public.campaign_targets from anon, authenticated;
grant select, insert on public.campaign_targets to authenticated;
grant all on public.campaign_targets to service_role;

create policy "Members can read their organization's campaign targets"
  on public.campaign_targets for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('campaign.read'))::uuid[]));

create policy "Owners and admins can add the targets of a campaign they launch"
  on public.campaign_targets for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('campaign.manage'))::uuid[])
    and attempts = 0 and call_ids = '{}'
  );

create table public.campaign_attempts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  campaign_id uuid not null,
  campaign_target_id uuid not null,
  attempt integer not null check (attempt between 1 and 100),
  -- The call's Idempotency-Key: `campaign:<campaign>:<target>:<attempt>`.
  idempotency_key text not null,
  call_id uuid,
  outcome text check (outcome in ('answered', 'busy', 'no_answer', 'failed', 'not_dialled')),
  created_at timestamptz not null default now(),
  dialled_at timestamptz,
  ended_at timestamptz,
  unique (campaign_target_id, attempt),
  unique (organization_id, idempotency_key),
  foreign key (organization_id, campaign_id) references public.campaigns (organization_id, id) on delete cascade,
  foreign key (organization_id, campaign_target_id) references public.campaign_targets (organization_id, id) on delete cascade
);
alter table public.campaign_attempts enable row level security;
create index campaign_attempts_campaign_idx on public.campaign_attempts (campaign_id, created_at);
create index campaign_attempts_open_idx on public.campaign_attempts (campaign_id) where call_id is null and outcome is null;

revoke all on public.campaign_attempts from anon, authenticated;
grant select on public.campaign_attempts to authenticated;
grant all on public.campaign_attempts to service_role;

create policy "Members can read their organization's campaign attempts"
  on public.campaign_attempts for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('campaign.read'))::uuid[]));

-- The campaign a call was placed for, if any: the call list's `campaign` filter, an indexed
-- equality like the script's.
alter table public.calls add column campaign_id uuid;
alter table public.calls add constraint calls_campaign_fkey
  foreign key (organization_id, campaign_id) references public.campaigns (organization_id, id);
create index calls_org_campaign_created_idx on public.calls (organization_id, campaign_id, created_at desc, id desc)
  where campaign_id is not null;

-- Members place calls of their own; only the runner (service path) places a campaign's.
drop policy "Operators, admins and owners can place calls as themselves" on public.calls;
create policy "Operators, admins and owners can place calls as themselves"
  on public.calls for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('calls.place'))::uuid[])
    and created_by = (select auth.uid())
    and status = 'queued'
    and provider_call_sid is null
    and campaign_id is null
  );

-- When a campaign's call ends, its outcome is applied by a job (retry or done), enqueued in the
-- transaction that stored the final status, once per call (the job key).
create function private.enqueue_campaign_outcome() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.enqueue_job(
    p_task => 'campaign_call_ended',
    p_payload => jsonb_build_object('orgId', new.organization_id, 'callId', new.id),
    p_job_key => 'campaign_call_ended:' || new.id::text
  );
  return null;
end
$$;
revoke all on function private.enqueue_campaign_outcome() from public;

create trigger calls_campaign_outcome
  after update of status on public.calls
  for each row
  when (new.campaign_id is not null and old.status is distinct from new.status
        and new.status in ('completed', 'busy', 'no_answer', 'failed', 'canceled'))
  execute function private.enqueue_campaign_outcome();
