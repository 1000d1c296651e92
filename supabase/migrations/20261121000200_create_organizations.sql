-- Tenancy: organizations and who belongs to them with which role. Membership and role have
-- one home (org_members). Organizations are created by the service path (seed, user:create);
-- owners and admins manage members. The helper functions are what every other table's RLS
-- policies call.
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  plan public.plan not null default 'base',
  created_at timestamptz not null default now()
);
alter table public.organizations enable row level security;

create table public.org_members (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null,
  role public.member_role not null,
  created_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
alter table public.org_members enable row level security;
create index org_members_user_id_idx on public.org_members (user_id);

-- The caller's role in an organization, or null when not a member.
create function private.member_role(p_org uuid) returns public.member_role
language sql stable security definer
set search_path = ''
as $$
  select m.role from public.org_members m
  where m.organization_id = p_org and m.user_id = (select auth.uid())
$$;

create function private.is_member(p_org uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select private.member_role(p_org) is not null
$$;

-- May the caller take `p_action` in `p_org`? Role from membership, plan from the organization.
create function private.can(p_org uuid, p_action text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce(private.allows(private.member_role(p_org), o.plan, p_action), false)
  from public.organizations o
  where o.id = p_org
$$;

revoke all on function private.member_role(uuid), private.is_member(uuid), private.can(uuid, text) from public;
grant execute on function private.member_role(uuid), private.is_member(uuid), private.can(uuid, text)
  to authenticated, service_role;

revoke all on public.organizations, public.org_members from anon, authenticated;
grant select on public.organizations to authenticated;
grant select, insert, update, delete on public.org_members to authenticated;
grant all on public.organizations, public.org_members to service_role;

create policy "Members can read their organizations"
  on public.organizations for select to authenticated
  using ((select private.is_member(id)));

create policy "Members can read their organization's members"
  on public.org_members for select to authenticated
  using ((select private.is_member(organization_id)));

-- Only an owner may create or change an owner; admins manage everyone else.
create policy "Owners and admins can add members"
  on public.org_members for insert to authenticated
  with check (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
  );

create policy "Owners and admins can change members' roles"
  on public.org_members for update to authenticated
  using (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
  )
  with check (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
  );

create policy "Owners and admins can remove members"
  on public.org_members for delete to authenticated
  using (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
  );
