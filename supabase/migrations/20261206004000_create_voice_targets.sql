-- An organization's saved targets (issue 20): the numbers its programs of calls dial. One row
-- per number per organization: a name, the E.164 number, the IANA time zone its calling window
-- is computed in, tags (location, region, team…), notes, and a do-not-call mark with who last
-- set or cleared it and when. Written only by lib/targets/targets.ts (one writer), as the member
-- who acts, under RLS.
--
-- Who may do what is the policy table's (lib/rbac/policy.ts, the same cells below):
--   target.read   every member (viewers see numbers masked: that is the API's, numbers.view)
--   target.write  owners and admins: create, edit, delete, import, clear a do-not-call mark
--   target.dnc    owners, admins and operators: mark a target do-not-call
-- An operator may set the mark and change nothing else; clearing it, or any other change, takes
-- target.write (trigger below, since a with-check sees only the new row). Every plan includes
-- targets: a do-not-call list is a compliance control, not a feature to sell.
-- A target marked do-not-call cannot be deleted (the delete policy does not reach it): deleting
-- it would forget the mark, and importing the number again would make it callable.

insert into private.action_plans (action, min_plan) values
  ('target.read', 'base'),
  ('target.write', 'base'),
  ('target.dnc', 'base');
insert into private.permissions (action, role) values
  ('target.read', 'owner'), ('target.read', 'admin'), ('target.read', 'operator'), ('target.read', 'analyst'), ('target.read', 'viewer'),
  ('target.write', 'owner'), ('target.write', 'admin'),
  ('target.dnc', 'owner'), ('target.dnc', 'admin'), ('target.dnc', 'operator');

-- Whether Postgres knows this time zone name (the calling window may be computed here, with
-- `at time zone`). Immutable as far as a check constraint needs: the tz database only adds names.
-- Only names (`Area/Location`, `UTC`): Postgres would also take POSIX specs such as `XYZ+5`.
create function private.is_time_zone(p_name text) returns boolean
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_name is null or p_name !~ '^[A-Za-z][A-Za-z_]*(/[A-Za-z0-9_+-]+)*$' or length(p_name) > 64 then
    return false;
  end if;
  perform now() at time zone p_name;
  return true;
exception when invalid_parameter_value then
  return false;
end
$$;
revoke all on function private.is_time_zone(text) from public;
grant execute on function private.is_time_zone(text) to authenticated, service_role;

-- Tags: at most 20, each 1–50 characters of trimmed lower-case text (lib/targets/contracts.ts).
create function private.are_target_tags(p_tags text[]) returns boolean
language sql immutable
set search_path = ''
as $$
  select cardinality(p_tags) <= 20
    and array_position(p_tags, null) is null
    and not exists (select 1 from unnest(p_tags) t where length(t) not between 1 and 50 or t <> lower(btrim(t)))
$$;
revoke all on function private.are_target_tags(text[]) from public;
grant execute on function private.are_target_tags(text[]) to authenticated, service_role;

create table public.voice_targets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 200 and name = btrim(name)),
  number text not null check (number ~ '^\+[1-9][0-9]{6,14}$'),
  time_zone text not null check (private.is_time_zone(time_zone)),
  tags text[] not null default '{}' check (private.are_target_tags(tags)),
  notes text not null default '' check (length(notes) <= 2000),
  dnc boolean not null default false,
  -- Who last set or cleared the mark (null: the service path), and when (null until first set).
  dnc_set_by uuid,
  dnc_set_at timestamptz,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, number),
  -- What campaigns will reference: a target of the same organization.
  unique (organization_id, id),
  check (not dnc or dnc_set_at is not null)
);
alter table public.voice_targets enable row level security;
-- The list reads by name (keyset), narrowed by tag.
create index voice_targets_org_name_idx on public.voice_targets (organization_id, name, id);
create index voice_targets_tags_idx on public.voice_targets using gin (tags);

revoke all on public.voice_targets from anon, authenticated;
grant select, insert, update, delete on public.voice_targets to authenticated;
grant all on public.voice_targets to service_role;

create policy "Members can read their organization's targets"
  on public.voice_targets for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

create policy "Owners and admins can save targets as themselves"
  on public.voice_targets for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('target.write'))::uuid[])
    and created_by = (select auth.uid())
  );

-- Operators reach the row to set its mark; the trigger keeps them to that.
create policy "Owners and admins can change targets, operators can mark them do-not-call"
  on public.voice_targets for update to authenticated
  using (
    organization_id = any ((select private.org_ids_allowing('target.write'))::uuid[])
    or organization_id = any ((select private.org_ids_allowing('target.dnc'))::uuid[])
  )
  with check (
    organization_id = any ((select private.org_ids_allowing('target.write'))::uuid[])
    or organization_id = any ((select private.org_ids_allowing('target.dnc'))::uuid[])
  );

create policy "Owners and admins can delete targets not marked do-not-call"
  on public.voice_targets for delete to authenticated
  using (organization_id = any ((select private.org_ids_allowing('target.write'))::uuid[]) and not dnc);

-- Who set or cleared the mark, and when, are the database's to record, never the caller's to
-- say: the member the transaction runs as (null on the service path), at the transaction's time.
-- A member without target.write may only turn the mark on. Identity and provenance never change.
create function private.guard_voice_target() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_service boolean := current_setting('role', true) = 'service_role';
begin
  if tg_op = 'INSERT' then
    new.created_at := now();
    new.updated_at := now();
    if new.dnc then
      new.dnc_set_by := v_uid;
      new.dnc_set_at := now();
    else
      new.dnc_set_by := null;
      new.dnc_set_at := null;
    end if;
    return new;
  end if;
  if new.id <> old.id or new.organization_id <> old.organization_id
     or new.created_by <> old.created_by or new.created_at <> old.created_at then
    raise exception 'a target''s identity and provenance do not change' using errcode = 'insufficient_privilege';
  end if;
  if not v_service and not private.can(old.organization_id, 'target.write') then
    if not (new.dnc and not old.dnc)
       or (new.name, new.number, new.time_zone, new.tags, new.notes) is distinct from (old.name, old.number, old.time_zone, old.tags, old.notes) then
      raise exception 'only marking a target do-not-call is allowed to this member' using errcode = 'insufficient_privilege';
    end if;
  end if;
  if new.dnc is distinct from old.dnc then
    new.dnc_set_by := v_uid;
    new.dnc_set_at := now();
  else
    new.dnc_set_by := old.dnc_set_by;
    new.dnc_set_at := old.dnc_set_at;
  end if;
  new.updated_at := now();
  return new;
end
$$;
revoke all on function private.guard_voice_target() from public;

create trigger voice_targets_guard before insert or update on public.voice_targets
  for each row execute function private.guard_voice_target();
