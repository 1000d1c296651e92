-- Each organization's default modulations for new calls. Written by owners and admins through
-- PUT /api/voice-config; read by every member (the place-call panel shows them). A call never
-- reads this after it is created: it carries its own snapshot in calls.plan.
-- The plan gates are enforced here as well as in lib/rbac, so no path can store a modulation
-- the organization's plan does not include.
create table public.voice_configs (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  flow text not null default 'direct' check (flow in ('direct', 'bridge')),
  caller_id text check (caller_id ~ '^\+[1-9][0-9]{6,14}$'),
  operator_phone text check (operator_phone ~ '^\+[1-9][0-9]{6,14}$'),
  record boolean not null default false,
  transcribe boolean not null default false,
  translate boolean not null default false,
  translate_languages text[] not null default '{}',
  survey jsonb,
  shopper_script jsonb,
  disclosure_text text not null default 'This call may be recorded for quality and evidence purposes.'
    check (length(disclosure_text) between 1 and 500),
  version integer not null default 1,
  updated_at timestamptz not null default now(),
  updated_by uuid,
  check (not translate or cardinality(translate_languages) > 0)
);
alter table public.voice_configs enable row level security;

revoke all on public.voice_configs from anon, authenticated;
grant select, insert, update on public.voice_configs to authenticated;
grant all on public.voice_configs to service_role;

create function private.voice_config_allowed(c public.voice_configs) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select private.can(c.organization_id, 'voice_config.update')
    and (not (c.record or c.transcribe) or private.can(c.organization_id, 'recording.enable'))
    and (not c.translate or private.can(c.organization_id, 'translation.enable'))
    and (c.survey is null or private.can(c.organization_id, 'survey.enable'))
    and (c.shopper_script is null or private.can(c.organization_id, 'survey.enable'))
$$;
revoke all on function private.voice_config_allowed(public.voice_configs) from public;
grant execute on function private.voice_config_allowed(public.voice_configs) to authenticated, service_role;

create policy "Members can read their organization's voice config"
  on public.voice_configs for select to authenticated
  using ((select private.is_member(organization_id)));

create policy "Owners and admins can create the voice config their plan allows"
  on public.voice_configs for insert to authenticated
  with check (private.voice_config_allowed(voice_configs));

create policy "Owners and admins can change the voice config within their plan"
  on public.voice_configs for update to authenticated
  using ((select private.can(organization_id, 'voice_config.update')))
  with check (private.voice_config_allowed(voice_configs));
