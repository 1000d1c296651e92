-- How many calls each organization has per day (UTC): what the call list's "about N matches"
-- scales a sample by, without counting a million calls (docs/adr/0030). A filtered list walks
-- the newest calls in its date range; the share of them that match, times the calls in that
-- range summed from here, is the estimate.
--
-- Derived, not evidence: written only by the triggers below (the one writer), which follow
-- every insert and delete of public.calls in the same statement, and the rare update that would
-- move a call to another day or organization. Members read their organizations' counts.
create table public.call_counts (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  day date not null,
  calls integer not null check (calls >= 0),
  primary key (organization_id, day)
);
alter table public.call_counts enable row level security;

revoke all on public.call_counts from anon, authenticated, service_role;
grant select on public.call_counts to authenticated, service_role;

create policy "Members can read their organization's call counts"
  on public.call_counts for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

-- Once per statement, from its transition tables: a batch of a thousand calls is one upsert per
-- organization and day, in a fixed order (so two batches never wait on each other in a cycle).
create function private.count_calls() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.call_counts (organization_id, day, calls)
    select n.organization_id, (n.created_at at time zone 'UTC')::date, count(*)::int
    from new_calls n group by 1, 2 order by 1, 2
    on conflict (organization_id, day) do update set calls = public.call_counts.calls + excluded.calls;
  else
    update public.call_counts k set calls = k.calls - o.n
    from (select d.organization_id, (d.created_at at time zone 'UTC')::date as day, count(*)::int as n
          from old_calls d group by 1, 2) o
    where k.organization_id = o.organization_id and k.day = o.day;
  end if;
  return null;
end
$$;

-- A call whose day or organization changes (nothing does this today) moves between counts.
create function private.recount_moved_call() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.call_counts set calls = calls - 1
  where organization_id = old.organization_id and day = (old.created_at at time zone 'UTC')::date;
  insert into public.call_counts (organization_id, day, calls)
  values (new.organization_id, (new.created_at at time zone 'UTC')::date, 1)
  on conflict (organization_id, day) do update set calls = public.call_counts.calls + 1;
  return null;
end
$$;

revoke all on function private.count_calls(), private.recount_moved_call() from public;

create trigger calls_count_inserted after insert on public.calls
  referencing new table as new_calls
  for each statement execute function private.count_calls();
create trigger calls_count_deleted after delete on public.calls
  referencing old table as old_calls
  for each statement execute function private.count_calls();
create trigger calls_count_moved after update of created_at, organization_id on public.calls
  for each row
  when (old.created_at is distinct from new.created_at or old.organization_id is distinct from new.organization_id)
  execute function private.recount_moved_call();

-- The calls already there (the triggers above already hold the table against writers until
-- this transaction commits, so none is counted twice or missed).
insert into public.call_counts (organization_id, day, calls)
select organization_id, (created_at at time zone 'UTC')::date, count(*)::int
from public.calls group by 1, 2;
