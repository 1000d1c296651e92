-- Recordings of calls. A row appears when the provider reports a recording (status `pending`),
-- becomes `stored` when the ingest job has copied the audio into storage and hashed it, `failed`
-- when ingest gave up, `absent` when the provider said no audio was captured, and `missing` when
-- the reconciler found that an expected recording never arrived. Written only by the service
-- path (webhooks, jobs); read by members whose role and plan may play recordings. The provider's
-- RecordingUrl is fetchable without auth, so it is never stored here (it rides in the job).
create table public.recordings (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null references public.calls (id) on delete cascade,
  provider_recording_sid text unique,
  status text not null check (status in ('pending', 'stored', 'failed', 'absent', 'missing')),
  storage_path text,
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes bigint check (bytes >= 0),
  duration_seconds integer check (duration_seconds >= 0),
  channels integer check (channels between 1 and 2),
  media_type text,
  error text,
  created_at timestamptz not null default now(),
  stored_at timestamptz,
  check (status <> 'stored' or (storage_path is not null and sha256 is not null and bytes is not null)),
  check (status = 'missing' or provider_recording_sid is not null)
);
alter table public.recordings enable row level security;
create index recordings_call_idx on public.recordings (call_id);
create unique index recordings_one_missing_per_call on public.recordings (call_id) where status = 'missing';

revoke all on public.recordings from anon, authenticated;
grant select on public.recordings to authenticated;
grant select, insert, update on public.recordings to service_role;

create policy "Members who may play recordings can read their organization's recordings"
  on public.recordings for select to authenticated
  using ((select private.can(organization_id, 'recording.play')));

-- A stored recording is evidence: its location, hash and size never change afterwards.
create function private.freeze_stored_recording() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status = 'stored' then
    raise exception 'recording % is stored and cannot change', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;

create trigger recordings_stored_are_final
  before update on public.recordings
  for each row execute function private.freeze_stored_recording();

create trigger recordings_never_deleted
  before delete on public.recordings
  for each row execute function private.forbid_change();
