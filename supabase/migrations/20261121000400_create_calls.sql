-- Calls: one row per call, inserted as `queued` by POST /api/calls before anything is dialled.
-- `plan` is the snapshot of the modulations the call runs with (never today's org config).
-- Members read their organization's calls; members who may place calls insert them; status
-- and provider fields change only through the service path (webhooks, jobs), which enforces
-- the state machine in lib/calls/state-machine.ts.
create type public.call_status as enum (
  'queued', 'initiated', 'ringing', 'in_progress',
  'completed', 'busy', 'no_answer', 'failed', 'canceled'
);

create table public.calls (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  created_by uuid not null,
  direction text not null default 'outbound' check (direction in ('outbound', 'inbound')),
  flow text not null check (flow in ('direct', 'bridge')),
  from_number text not null check (from_number ~ '^\+[1-9][0-9]{6,14}$'),
  to_number text not null check (to_number ~ '^\+[1-9][0-9]{6,14}$'),
  status public.call_status not null default 'queued',
  provider_call_sid text unique,
  idempotency_key text not null check (length(idempotency_key) between 1 and 255),
  plan jsonb not null,
  plan_tier public.plan not null,
  dial_error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer check (duration_seconds >= 0),
  unique (organization_id, idempotency_key)
);
alter table public.calls enable row level security;
create index calls_org_created_idx on public.calls (organization_id, created_at desc, id desc);
create index calls_open_idx on public.calls (updated_at)
  where status in ('queued', 'initiated', 'ringing', 'in_progress');

revoke all on public.calls from anon, authenticated;
grant select, insert on public.calls to authenticated;
grant all on public.calls to service_role;

create policy "Members can read their organization's calls"
  on public.calls for select to authenticated
  using ((select private.is_member(organization_id)));

create policy "Operators, admins and owners can place calls as themselves"
  on public.calls for insert to authenticated
  with check (
    (select private.can(organization_id, 'calls.place'))
    and created_by = (select auth.uid())
    and status = 'queued'
    and provider_call_sid is null
  );
