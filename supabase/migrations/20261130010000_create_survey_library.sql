-- Surveys and shopper scripts as versioned records (docs/adr/0014). A survey or script is an
-- identity row (`surveys`, `shopper_scripts`) plus immutable versions; editing publishes the
-- next version and every earlier one stays readable, because old calls point at them. Each
-- version holds its whole document (`{ id, version, title, … }`, the shape calls.modulations
-- freezes) and the SHA-256 of that document's canonical JSON (RFC 8785, computed by
-- lib/evidence/canonical-json.ts in the one writer, lib/library/versions.ts).
-- Written by owners and admins on the insights plan and up (`survey.manage`); read by members
-- who may read survey results (`survey.read`), who choose among them when placing calls.
-- UPDATE and DELETE are refused for every role, the service path included (trigger).

insert into private.action_plans (action, min_plan) values ('survey.manage', 'insights');
insert into private.permissions (action, role) values ('survey.manage', 'owner'), ('survey.manage', 'admin');

create table public.surveys (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  created_at timestamptz not null default now(),
  created_by uuid,
  unique (organization_id, id)
);

create table public.survey_versions (
  organization_id uuid not null,
  survey_id uuid not null,
  version integer not null check (version >= 1),
  title text not null check (length(title) between 1 and 200),
  document jsonb not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  created_by uuid,
  primary key (organization_id, survey_id, version),
  -- What voice_configs references: id, version and hash together.
  unique (organization_id, survey_id, version, sha256),
  foreign key (organization_id, survey_id) references public.surveys (organization_id, id) on delete cascade,
  -- The document names its own identity; the columns cannot say something else.
  check (document ->> 'id' = survey_id::text and document ->> 'version' = version::text and document ->> 'title' = title
         and not (document ? 'sha256'))
);

create table public.shopper_scripts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  created_at timestamptz not null default now(),
  created_by uuid,
  unique (organization_id, id)
);

create table public.shopper_script_versions (
  organization_id uuid not null,
  script_id uuid not null,
  version integer not null check (version >= 1),
  title text not null check (length(title) between 1 and 200),
  document jsonb not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  created_by uuid,
  primary key (organization_id, script_id, version),
  unique (organization_id, script_id, version, sha256),
  foreign key (organization_id, script_id) references public.shopper_scripts (organization_id, id) on delete cascade,
  check (document ->> 'id' = script_id::text and document ->> 'version' = version::text and document ->> 'title' = title
         and not (document ? 'sha256'))
);

alter table public.surveys enable row level security;
alter table public.survey_versions enable row level security;
alter table public.shopper_scripts enable row level security;
alter table public.shopper_script_versions enable row level security;

revoke all on public.surveys, public.survey_versions, public.shopper_scripts, public.shopper_script_versions from anon, authenticated;
grant select, insert on public.surveys, public.survey_versions, public.shopper_scripts, public.shopper_script_versions to authenticated, service_role;

create policy "Members who may read survey results can read their organization's surveys"
  on public.surveys for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[]));
create policy "Owners and admins on insights can create surveys"
  on public.surveys for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('survey.manage'))::uuid[]));

create policy "Members who may read survey results can read their organization's survey versions"
  on public.survey_versions for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[]));
create policy "Owners and admins on insights can publish survey versions"
  on public.survey_versions for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('survey.manage'))::uuid[]));

create policy "Members who may read survey results can read their organization's shopper scripts"
  on public.shopper_scripts for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[]));
create policy "Owners and admins on insights can create shopper scripts"
  on public.shopper_scripts for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('survey.manage'))::uuid[]));

create policy "Members who may read survey results can read their organization's shopper script versions"
  on public.shopper_script_versions for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[]));
create policy "Owners and admins on insights can publish shopper script versions"
  on public.shopper_script_versions for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('survey.manage'))::uuid[]));

-- Immutable for everyone: a version that calls ran with must say forever what they ran.
create trigger surveys_append_only before update or delete on public.surveys
  for each row execute function private.forbid_change();
create trigger survey_versions_append_only before update or delete on public.survey_versions
  for each row execute function private.forbid_change();
create trigger shopper_scripts_append_only before update or delete on public.shopper_scripts
  for each row execute function private.forbid_change();
create trigger shopper_script_versions_append_only before update or delete on public.shopper_script_versions
  for each row execute function private.forbid_change();
-- TRUNCATE bypasses row triggers; nobody but the owner of the tables may run it.
create trigger surveys_no_truncate before truncate on public.surveys execute function private.forbid_change();
create trigger survey_versions_no_truncate before truncate on public.survey_versions execute function private.forbid_change();
create trigger shopper_scripts_no_truncate before truncate on public.shopper_scripts execute function private.forbid_change();
create trigger shopper_script_versions_no_truncate before truncate on public.shopper_script_versions execute function private.forbid_change();
