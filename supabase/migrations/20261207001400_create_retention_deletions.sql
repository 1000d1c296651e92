-- Retention deletions: the tombstones. One row per artifact deleted by retention or erasure,
-- written in the transaction that deletes the artifact's row and seals the call's next manifest
-- version, which lists it under `deleted` (lib/evidence/manifest.ts, docs/adr/0037). It keeps
-- what the manifest needs to prove the artifact existed: its kind, id, hashes, size, media type
-- and location exactly as the sealed version that last listed it (`listed_version`,
-- `listed_manifest_sha256`) had them, when and why it went (`reason`, the `policy` or the
-- erasure request). `storage_path` is the object whose bytes are removed after the commit;
-- `purged_at` says they are gone (a crashed job's leftovers are purged by the next sweep).
-- Written only by lib/retention/deletions.ts on the service path; read by members with
-- `retention.read`.
create table public.retention_deletions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null,
  artifact_id uuid not null,
  -- The manifest's artifact kind (recording, transcript, redacted_transcript, …).
  kind text not null check (kind in ('recording', 'transcript', 'translation', 'redacted_transcript', 'redacted_audio', 'score', 'survey_answer')),
  -- The policy's kind it fell under (a redacted transcript under "transcript").
  policy_kind text not null check (policy_kind in ('recording', 'redacted_audio', 'transcript', 'translation', 'survey_answer', 'score')),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  sha512 text not null check (sha512 ~ '^[0-9a-f]{128}$'),
  bytes bigint not null check (bytes >= 0),
  media_type text not null,
  location jsonb not null,
  language text,
  listed_version integer not null check (listed_version >= 1),
  listed_manifest_sha256 text not null check (listed_manifest_sha256 ~ '^[0-9a-f]{64}$'),
  reason text not null check (reason in ('retention_policy', 'erasure_request')),
  -- retention_policy: { kind, keepDays, updatedAt, updatedBy }; erasure_request: null.
  policy jsonb,
  erasure_request_id uuid,
  deleted_at timestamptz not null default now(),
  storage_path text,
  purged_at timestamptz,
  unique (organization_id, artifact_id),
  foreign key (organization_id, call_id) references public.calls (organization_id, id),
  foreign key (organization_id, erasure_request_id) references public.erasure_requests (organization_id, id),
  check ((reason = 'retention_policy') = (policy is not null)),
  check ((reason = 'erasure_request') = (erasure_request_id is not null)),
  check (purged_at is null or storage_path is not null)
);
alter table public.retention_deletions enable row level security;
create index retention_deletions_call_idx on public.retention_deletions (organization_id, call_id, deleted_at);
create index retention_deletions_unpurged_idx on public.retention_deletions (deleted_at) where storage_path is not null and purged_at is null;

revoke all on public.retention_deletions from anon, authenticated, service_role;
grant select on public.retention_deletions to authenticated;
grant select, insert on public.retention_deletions to service_role;
grant update (purged_at) on public.retention_deletions to service_role;

create policy "Members who may read retention can read their organization's deletions"
  on public.retention_deletions for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('retention.read'))::uuid[]));

-- A tombstone is never deleted, and changes once: its bytes purged.
create function private.guard_retention_deletion() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' or old.purged_at is not null
     or (to_jsonb(new) - 'purged_at') <> (to_jsonb(old) - 'purged_at') then
    raise exception 'tombstone % is permanent; only its purge is recorded', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;
create trigger retention_deletions_permanent before update or delete on public.retention_deletions
  for each row execute function private.guard_retention_deletion();
create trigger retention_deletions_no_truncate before truncate on public.retention_deletions
  execute function private.forbid_change();

-- A tombstone is refused for a call under hold: the hold is checked in the statement that
-- records the deletion, and again by the gate below in the statement that deletes.
create function private.refuse_held_tombstone() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if private.call_held(new.organization_id, new.call_id) then
    raise exception 'call % is under legal hold: nothing of it may be deleted', new.call_id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;
create trigger retention_deletions_respect_holds before insert on public.retention_deletions
  for each row execute function private.refuse_held_tombstone();

-- The content tables stay append-only, with one way out: a row may be deleted only when its
-- tombstone is already recorded and no hold protects its call. Updates stay refused as before.
create function private.delete_only_tombstoned() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE'
     and exists (select 1 from public.retention_deletions d where d.organization_id = old.organization_id and d.artifact_id = old.id)
     and not private.call_held(old.organization_id, old.call_id) then
    return old;
  end if;
  raise exception '% is append-only: a row is deleted only with its tombstone and never under legal hold', tg_table_name using errcode = 'insufficient_privilege';
end
$$;

drop trigger recordings_never_deleted on public.recordings;
create trigger recordings_deleted_only_tombstoned before delete on public.recordings
  for each row execute function private.delete_only_tombstoned();

drop trigger call_artifacts_immutable on public.call_artifacts;
create trigger call_artifacts_immutable before update on public.call_artifacts
  for each row execute function private.forbid_change();
create trigger call_artifacts_deleted_only_tombstoned before delete on public.call_artifacts
  for each row execute function private.delete_only_tombstoned();

drop trigger survey_answers_append_only on public.survey_answers;
create trigger survey_answers_append_only before update on public.survey_answers
  for each row execute function private.forbid_change();
create trigger survey_answers_deleted_only_tombstoned before delete on public.survey_answers
  for each row execute function private.delete_only_tombstoned();

grant delete on public.recordings, public.call_artifacts, public.survey_answers to service_role;

-- A transcription request outlives the recording it transcribed: its recording_id becomes null
-- when retention deletes the recording (the one change a settled request accepts).
alter table public.transcriptions alter column recording_id drop not null;
alter table public.transcriptions drop constraint transcriptions_recording_id_fkey;
alter table public.transcriptions add constraint transcriptions_recording_id_fkey
  foreign key (recording_id) references public.recordings (id) on delete set null;

create or replace function private.freeze_settled_transcription() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status in ('completed', 'error')
     and not (old.recording_id is not null and new.recording_id is null
              and (to_jsonb(new) - 'recording_id' - 'updated_at') = (to_jsonb(old) - 'recording_id' - 'updated_at')) then
    raise exception 'transcription % is settled and cannot change', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;
