-- Every organization keeps at least one owner. Only an owner can hand out the owner role, so an
-- organization left without one could never get one back (short of the service path). The API
-- (lib/orgs/members.ts) says so with a 409 `last_owner`; this trigger is the rule itself, so no
-- path that updates or deletes org_members (the member API, RLS-allowed SQL, the service path)
-- can leave an organization ownerless.
--
-- Concurrency: two owners demoting each other at once must leave one. Each change that takes
-- an owner away first locks the organization's row, so such changes of one organization run one
-- after the other; the count of remaining owners runs after the lock, in a statement of its own,
-- and therefore sees what the transaction before it committed (read committed takes a snapshot
-- per statement). Changes that keep the owner role, and other organizations, never wait.
--
-- Deleting the organization itself cascades to its members: the organization row is gone by
-- then, and the rule no longer applies.
create function private.keep_an_owner() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner' and new.organization_id = old.organization_id) then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  perform 1 from public.organizations o where o.id = old.organization_id for update;
  if not found then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if not exists (
    select from public.org_members m
    where m.organization_id = old.organization_id and m.role = 'owner' and m.user_id <> old.user_id
  ) then
    raise exception 'organization % would have no owner left', old.organization_id
      using errcode = 'check_violation', constraint = 'org_members_last_owner',
            hint = 'Make another member an owner first.';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;
revoke all on function private.keep_an_owner() from public;

create trigger org_members_keep_an_owner
  before update or delete on public.org_members
  for each row execute function private.keep_an_owner();
