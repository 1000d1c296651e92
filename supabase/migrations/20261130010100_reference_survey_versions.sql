-- The organization's voice config and every call now name a survey / shopper script version by
-- id + version + SHA-256 (docs/adr/0014), instead of carrying loose JSON.
--
-- voice_configs: three columns per kind, one composite foreign key to the version row, so the
-- default can only be a version of this organization that exists with exactly that hash.
-- calls: the snapshot (calls.modulations) keeps the frozen document beside its hash, so LaML stays
-- a pure function of the snapshot; a new call is refused unless that document is, member for
-- member, the stored version with that id, version and hash in the call's organization.
--
-- The loose JSON that voice_configs held before cannot be hashed here (the canonical JSON has
-- one implementation, in TypeScript), so it is kept in private.legacy_voice_config_library for
-- an owner to publish again, and the config's reference starts empty.

create table private.legacy_voice_config_library (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  survey jsonb,
  shopper_script jsonb,
  archived_at timestamptz not null default now()
);
-- No API role reads it: RLS on, no policies.
alter table private.legacy_voice_config_library enable row level security;
insert into private.legacy_voice_config_library (organization_id, survey, shopper_script)
select organization_id, survey, shopper_script from public.voice_configs
where survey is not null or shopper_script is not null;

-- Rewritten below without the dropped columns.
drop function private.voice_config_allowed(public.voice_configs) cascade;

alter table public.voice_configs
  drop column survey,
  drop column shopper_script,
  add column survey_id uuid,
  add column survey_version integer,
  add column survey_sha256 text,
  add column shopper_script_id uuid,
  add column shopper_script_version integer,
  add column shopper_script_sha256 text,
  add constraint voice_configs_survey_ref_whole
    check (num_nulls(survey_id, survey_version, survey_sha256) in (0, 3)),
  add constraint voice_configs_shopper_script_ref_whole
    check (num_nulls(shopper_script_id, shopper_script_version, shopper_script_sha256) in (0, 3)),
  add constraint voice_configs_survey_version_fkey
    foreign key (organization_id, survey_id, survey_version, survey_sha256)
    references public.survey_versions (organization_id, survey_id, version, sha256),
  add constraint voice_configs_shopper_script_version_fkey
    foreign key (organization_id, shopper_script_id, shopper_script_version, shopper_script_sha256)
    references public.shopper_script_versions (organization_id, script_id, version, sha256);

create function private.voice_config_allowed(c public.voice_configs) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select private.can(c.organization_id, 'voice_config.update')
    and (not (c.record or c.transcribe) or private.can(c.organization_id, 'recording.enable'))
    and (not c.translate or private.can(c.organization_id, 'translation.enable'))
    and (c.survey_id is null or private.can(c.organization_id, 'survey.enable'))
    and (c.shopper_script_id is null or private.can(c.organization_id, 'survey.enable'))
$$;
revoke all on function private.voice_config_allowed(public.voice_configs) from public;
grant execute on function private.voice_config_allowed(public.voice_configs) to authenticated, service_role;

create policy "Owners and admins can create the voice config their plan allows"
  on public.voice_configs for insert to authenticated
  with check (private.voice_config_allowed(voice_configs));
create policy "Owners and admins can change the voice config within their plan"
  on public.voice_configs for update to authenticated
  using (organization_id = any ((select private.org_ids_allowing('voice_config.update'))::uuid[]))
  with check (private.voice_config_allowed(voice_configs));

-- The modulation trigger reads the survey and script from their new columns.
create or replace function private.check_modulations() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  row_json jsonb := to_jsonb(new);
  on_list text[];
  flow text;
  problem text;
begin
  if tg_table_name = 'voice_configs' then
    on_list := array_remove(array[
      case when new.record then 'record' end,
      case when new.transcribe then 'transcribe' end,
      case when new.translate then 'translate' end,
      case when row_json ->> 'survey_id' is not null then 'survey' end,
      case when row_json ->> 'shopper_script_id' is not null then 'shopperScript' end
    ], null);
    flow := null;
  else
    on_list := array_remove(array[
      case when (row_json #>> '{modulations,record}') = 'true' then 'record' end,
      case when (row_json #>> '{modulations,transcribe}') = 'true' then 'transcribe' end,
      case when jsonb_typeof(row_json #> '{modulations,translate}') = 'object' then 'translate' end,
      case when jsonb_typeof(row_json #> '{modulations,survey}') = 'object' then 'survey' end,
      case when jsonb_typeof(row_json #> '{modulations,shopperScript}') = 'object' then 'shopperScript' end
    ], null);
    flow := row_json ->> 'flow';
  end if;
  problem := private.modulations_problem(on_list, flow);
  if problem is not null then
    raise exception 'incoherent modulations: %', problem using errcode = 'check_violation';
  end if;
  return new;
end
$$;

-- A new call's frozen survey / script must be a published version of its organization: same
-- id, version and hash, and the same document (jsonb equality ignores member order).
create function private.check_call_library_refs() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  doc jsonb;
begin
  doc := new.modulations -> 'survey';
  if jsonb_typeof(doc) = 'object' then
    if coalesce(doc ->> 'id', '') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       or not exists (
         select 1 from public.survey_versions v
         where v.organization_id = new.organization_id and v.survey_id = (doc ->> 'id')::uuid
           and v.version::text = doc ->> 'version' and v.sha256 = doc ->> 'sha256' and v.document = doc - 'sha256')
    then
      raise exception 'the call''s survey is not a published version of this organization (id, version, sha256 and content must match)'
        using errcode = 'foreign_key_violation';
    end if;
  end if;
  doc := new.modulations -> 'shopperScript';
  if jsonb_typeof(doc) = 'object' then
    if coalesce(doc ->> 'id', '') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       or not exists (
         select 1 from public.shopper_script_versions v
         where v.organization_id = new.organization_id and v.script_id = (doc ->> 'id')::uuid
           and v.version::text = doc ->> 'version' and v.sha256 = doc ->> 'sha256' and v.document = doc - 'sha256')
    then
      raise exception 'the call''s shopper script is not a published version of this organization (id, version, sha256 and content must match)'
        using errcode = 'foreign_key_violation';
    end if;
  end if;
  return new;
end
$$;
revoke all on function private.check_call_library_refs() from public;

create trigger calls_reference_published_versions
  before insert on public.calls
  for each row execute function private.check_call_library_refs();

-- What a call ran with never changes afterwards, so it keeps pointing at the versions it ran.
create function private.forbid_snapshot_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'a call''s modulation snapshot cannot change' using errcode = 'insufficient_privilege';
end
$$;
revoke all on function private.forbid_snapshot_change() from public;

create trigger calls_snapshot_frozen
  before update of modulations on public.calls
  for each row when (old.modulations is distinct from new.modulations)
  execute function private.forbid_snapshot_change();
