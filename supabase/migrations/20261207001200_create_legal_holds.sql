-- Legal holds: while a hold is active (released_at null), nothing of the calls it protects is
-- deleted by retention or erasure. A hold protects one call, the calls a saved search (the call
-- list's query string) matched when it was set, or every call of a campaign, including calls
-- the campaign places later. Setting and lifting are custody events.
-- legal_hold_calls holds the calls of call and filter holds (a campaign hold's calls are read
-- from campaign_attempts when deleting), so every deleting path checks holds in SQL,
-- `private.call_held`, in the statement that deletes (docs/adr/0037).
-- Written only by lib/retention/holds.ts on the service path; read by members with
-- `retention.read`.
create table public.legal_holds (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  scope text not null check (scope in ('call', 'filter', 'campaign')),
  call_id uuid,
  campaign_id uuid,
  -- The call list's query string, as the member's filter (a saved search).
  filter text check (length(filter) <= 2000),
  reason text not null check (length(btrim(reason)) between 1 and 1000),
  set_by uuid not null references auth.users (id),
  set_at timestamptz not null default now(),
  released_at timestamptz,
  released_by uuid references auth.users (id),
  release_reason text check (length(btrim(release_reason)) between 1 and 1000),
  foreign key (organization_id, call_id) references public.calls (organization_id, id),
  foreign key (organization_id, campaign_id) references public.campaigns (organization_id, id),
  check ((scope = 'call') = (call_id is not null)),
  check ((scope = 'campaign') = (campaign_id is not null)),
  check ((scope = 'filter') = (filter is not null)),
  check ((released_at is null) = (released_by is null) and (released_at is null) = (release_reason is null))
);
alter table public.legal_holds enable row level security;
create index legal_holds_active_idx on public.legal_holds (organization_id, scope) where released_at is null;
create unique index legal_holds_unique_id on public.legal_holds (organization_id, id);

create table public.legal_hold_calls (
  organization_id uuid not null,
  hold_id uuid not null,
  call_id uuid not null,
  primary key (hold_id, call_id),
  foreign key (organization_id, hold_id) references public.legal_holds (organization_id, id),
  foreign key (organization_id, call_id) references public.calls (organization_id, id)
);
alter table public.legal_hold_calls enable row level security;
create index legal_hold_calls_call_idx on public.legal_hold_calls (organization_id, call_id);

revoke all on public.legal_holds, public.legal_hold_calls from anon, authenticated, service_role;
grant select on public.legal_holds, public.legal_hold_calls to authenticated;
grant select, insert on public.legal_holds, public.legal_hold_calls to service_role;
-- Releasing is the only change: the three release columns, once.
grant update (released_at, released_by, release_reason) on public.legal_holds to service_role;

create policy "Members who may read retention can read their organization's holds"
  on public.legal_holds for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('retention.read'))::uuid[]));
create policy "Members who may read retention can read the calls their organization's holds protect"
  on public.legal_hold_calls for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('retention.read'))::uuid[]));

-- A released hold stays released; a hold's scope, target and reason never change; nothing is
-- deleted (the record of a hold is part of the custody story).
create function private.guard_legal_hold() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' or old.released_at is not null then
    raise exception 'legal hold % cannot change once released, and is never deleted', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;
create trigger legal_holds_release_once before update or delete on public.legal_holds
  for each row execute function private.guard_legal_hold();
create trigger legal_hold_calls_append_only before update or delete on public.legal_hold_calls
  for each row execute function private.forbid_change();

-- Is any active hold protecting this call? The deleting paths (the delete gates on content
-- tables, lib/retention/deletions.ts) ask in the statement that deletes. Invoker's rights: only
-- the service path deletes.
create function private.call_held(p_org uuid, p_call uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select exists (
    select 1 from public.legal_hold_calls hc join public.legal_holds h on h.id = hc.hold_id
    where hc.organization_id = p_org and hc.call_id = p_call and h.released_at is null
  ) or exists (
    select 1 from public.legal_holds h join public.campaign_attempts a
      on a.organization_id = h.organization_id and a.campaign_id = h.campaign_id
    where h.organization_id = p_org and h.scope = 'campaign' and h.released_at is null and a.call_id = p_call
  )
$$;
revoke all on function private.call_held(uuid, uuid) from public;
grant execute on function private.call_held(uuid, uuid) to service_role;
