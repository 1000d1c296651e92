-- Retention policies: how long an organization keeps each kind of call content, counted from
-- when the call was placed. No row (or keep_days null) means "keep", the default. Manifests, the
-- evidence log and custody are kept for good and have no policy.
-- Written only by lib/retention/policies.ts on the service path, after the member was
-- authorized (`retention.manage`) and confirmed a preview of exactly this change; read by
-- members with `retention.read`.
create table public.retention_policies (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  kind text not null check (kind in ('recording', 'redacted_audio', 'transcript', 'translation', 'survey_answer', 'score')),
  keep_days integer check (keep_days between 1 and 36500),
  updated_by uuid references auth.users (id),
  updated_at timestamptz not null default now(),
  primary key (organization_id, kind)
);
alter table public.retention_policies enable row level security;

revoke all on public.retention_policies from anon, authenticated, service_role;
grant select on public.retention_policies to authenticated;
grant select, insert, update on public.retention_policies to service_role;

create policy "Members who may read retention can read their organization's policies"
  on public.retention_policies for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('retention.read'))::uuid[]));
