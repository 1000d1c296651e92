-- Transcription requests: one row per submission of a stored recording to AssemblyAI (a retry
-- after a failure is a new row, `retry_of` the failed one). `pending` until the job has
-- submitted it, `submitted` with AssemblyAI's transcript id, then `completed` once its
-- artifacts are stored (public.call_artifacts) or `error` with AssemblyAI's reason.
-- The webhook's auth header value is a random secret made per submission and kept only as its
-- SHA-256 (hex): the webhook compares hashes in constant time before anything else.
-- Written only by the service path (lib/intelligence/transcriptions.ts); read by members who
-- may read transcripts.
create table public.transcriptions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null,
  recording_id uuid not null references public.recordings (id),
  retry_of uuid references public.transcriptions (id),
  requested_by uuid references auth.users (id),
  status text not null default 'pending' check (status in ('pending', 'submitted', 'completed', 'error')),
  -- What was asked, fixed when the request is made from the call's snapshot and the org.
  redact boolean not null,
  target_languages text[] not null default '{}',
  provider_transcript_id text unique,
  -- The last status AssemblyAI's webhook reported ('completed', 'error'); a repeat is a no-op.
  provider_status text,
  -- The parameters sent (without the audio URL, a bearer link, and the auth header value).
  request_parameters jsonb,
  webhook_secret_sha256 text check (webhook_secret_sha256 ~ '^[0-9a-f]{64}$'),
  submit_attempts integer not null default 0 check (submit_attempts >= 0),
  error text check (length(error) <= 1000),
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  settled_at timestamptz,
  updated_at timestamptz not null default now(),
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade,
  check (status = 'pending' or status = 'error' or provider_transcript_id is not null),
  check ((status = 'error') = (error is not null))
);
alter table public.transcriptions enable row level security;
create index transcriptions_call_idx on public.transcriptions (organization_id, call_id, created_at);
create index transcriptions_open_idx on public.transcriptions (updated_at) where status in ('pending', 'submitted');
-- At most one open or completed request per recording; failed ones may be retried.
create unique index transcriptions_one_live_per_recording
  on public.transcriptions (recording_id) where status <> 'error';

revoke all on public.transcriptions from anon, authenticated, service_role;
grant select on public.transcriptions to authenticated;
grant select, insert, update on public.transcriptions to service_role;

create policy "Members who may read transcripts can read their organization's transcription requests"
  on public.transcriptions for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('recording.play'))::uuid[]));

-- A settled request is part of the record: it never changes again, and no request is deleted.
create function private.freeze_settled_transcription() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status in ('completed', 'error') then
    raise exception 'transcription % is settled and cannot change', old.id using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;

create trigger transcriptions_settled_are_final
  before update on public.transcriptions
  for each row execute function private.freeze_settled_transcription();

create trigger transcriptions_never_deleted
  before delete on public.transcriptions
  for each row execute function private.forbid_change();
