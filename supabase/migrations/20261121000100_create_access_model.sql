-- The access model as data: which roles may take each action and the least plan that includes
-- it. Mirrors lib/rbac/policy.ts cell for cell; tests/integration/rbac-agreement.test.ts walks
-- every role × action × plan and fails if the two disagree. Written only by migrations.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Enum order is the plan order: base < pro < insights < global.
create type public.plan as enum ('base', 'pro', 'insights', 'global');
create type public.member_role as enum ('owner', 'admin', 'operator', 'analyst', 'viewer');

create table private.permissions (
  action text not null,
  role public.member_role not null,
  primary key (action, role)
);

create table private.action_plans (
  action text primary key,
  min_plan public.plan not null
);

-- Not exposed to any API role: read only through private.can() below.
alter table private.permissions enable row level security;
alter table private.action_plans enable row level security;

insert into private.action_plans (action, min_plan) values
  ('operations.view', 'base'),
  ('numbers.view', 'base'),
  ('calls.place', 'base'),
  ('voice_config.update', 'base'),
  ('members.manage', 'base'),
  ('recording.enable', 'pro'),
  ('recording.play', 'pro'),
  ('translation.enable', 'global'),
  ('translation.read', 'global'),
  ('survey.enable', 'insights'),
  ('survey.read', 'insights'),
  ('shopper.run', 'insights'),
  ('evidence.export', 'base');

insert into private.permissions (action, role)
select a.action, r.role::public.member_role
from (values
  ('operations.view', array['owner', 'admin', 'operator', 'analyst', 'viewer']),
  ('numbers.view', array['owner', 'admin', 'operator', 'analyst']),
  ('calls.place', array['owner', 'admin', 'operator']),
  ('voice_config.update', array['owner', 'admin']),
  ('members.manage', array['owner', 'admin']),
  ('recording.enable', array['owner', 'admin']),
  ('recording.play', array['owner', 'admin', 'operator', 'analyst']),
  ('translation.enable', array['owner', 'admin']),
  ('translation.read', array['owner', 'admin', 'operator', 'analyst']),
  ('survey.enable', array['owner', 'admin']),
  ('survey.read', array['owner', 'admin', 'operator', 'analyst']),
  ('shopper.run', array['owner', 'admin', 'operator']),
  ('evidence.export', array['owner', 'admin', 'analyst'])
) as a (action, roles)
cross join lateral unnest(a.roles) as r (role);

-- Pure check of one cell, used by private.can() and by the agreement test.
create function private.allows(p_role public.member_role, p_plan public.plan, p_action text)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1
    from private.permissions p
    join private.action_plans ap on ap.action = p.action
    where p.action = p_action and p.role = p_role and p_plan >= ap.min_plan
  )
$$;

revoke all on function private.allows(public.member_role, public.plan, text) from public;
grant execute on function private.allows(public.member_role, public.plan, text) to authenticated, service_role;
