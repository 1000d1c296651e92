-- The append-only timeline of each call: provider callbacks, state changes, artifact arrivals.
-- Feeds the call timeline, realtime and (later) the custody record. Written only by the
-- service path; `dedupe_key` makes a repeated provider callback a no-op (provider identity +
-- status + sequence, never the call sid alone). Never updated or deleted.
create table public.call_events (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null references public.calls (id) on delete cascade,
  kind text not null check (kind ~ '^[a-z_]+(\.[a-z_]+)+$'),
  dedupe_key text,
  payload jsonb not null default '{}'::jsonb,
  occurred_at timestamptz not null default now(),
  received_at timestamptz not null default now(),
  unique (call_id, dedupe_key)
);
alter table public.call_events enable row level security;
create index call_events_call_idx on public.call_events (call_id, id);
create index call_events_org_idx on public.call_events (organization_id, id desc);

revoke all on public.call_events from anon, authenticated;
grant select on public.call_events to authenticated;
grant select, insert on public.call_events to service_role;

create policy "Members can read their organization's call events"
  on public.call_events for select to authenticated
  using ((select private.is_member(organization_id)));

create function private.forbid_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
end
$$;

create trigger call_events_append_only
  before update or delete on public.call_events
  for each row execute function private.forbid_change();
