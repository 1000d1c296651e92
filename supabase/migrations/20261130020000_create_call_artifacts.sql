-- Artifacts derived from a call: transcripts, translations, redacted transcripts, redacted audio
-- and (written later by the scoring job) shopper scores. One table so the evidence manifest
-- lists a call's artifacts with one query. Each row is immutable evidence: the SHA-256 of its
-- canonical JSON (RFC 8785, lib/evidence/canonical-json.ts) or, for media, of its bytes as
-- stored; its provenance (vendor, models, the provider's transcript id, the request's
-- parameters, when it was produced); and the SHA-256 of its inputs (the recording's hash, …).
-- A correction or a re-run is a new row that `supersedes` the old one; nothing is ever updated
-- or deleted, by any role, the service path included (trigger).
-- Written only by the service path through lib/intelligence/artifacts.ts; read by members
-- whose role and plan include that kind of content.
create table public.call_artifacts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null,
  kind text not null check (kind in ('transcript', 'translation', 'redacted_transcript', 'redacted_audio', 'score')),
  -- The transcription request that produced it (null for kinds that no transcription makes).
  transcription_id uuid,
  -- BCP-47-ish language of the content ('en', 'es'); the target language of a translation.
  language text check (language ~ '^[a-z]{2,3}(_[a-z]{2}|-[A-Za-z]{2,4})?$'),
  body jsonb,
  storage_path text,
  bytes bigint check (bytes >= 0),
  media_type text,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  provenance jsonb not null,
  inputs jsonb not null,
  -- The unredacted original of a transcription that redacted PII: only members who may open
  -- originals (owners, admins) read it; everyone else who may read transcripts gets the
  -- redacted_transcript beside it.
  restricted boolean not null default false,
  supersedes uuid references public.call_artifacts (id),
  produced_at timestamptz not null default now(),
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade,
  -- Media artifacts live in storage; the others are their JSON body.
  check ((kind = 'redacted_audio') = (storage_path is not null)),
  check (kind = 'redacted_audio' or body is not null),
  check (storage_path is null or (bytes is not null and media_type is not null)),
  check (kind <> 'translation' or language is not null)
);
alter table public.call_artifacts enable row level security;
create index call_artifacts_call_idx on public.call_artifacts (organization_id, call_id, kind, produced_at);
-- One artifact of a kind (and language) per transcription request: a repeated webhook or job
-- run stores nothing new.
create unique index call_artifacts_once_per_transcription
  on public.call_artifacts (transcription_id, kind, coalesce(language, ''))
  where transcription_id is not null;

revoke all on public.call_artifacts from anon, authenticated, service_role;
grant select on public.call_artifacts to authenticated;
grant select, insert on public.call_artifacts to service_role;

create policy "Members who may read transcripts can read their organization's transcripts and redacted media"
  on public.call_artifacts for select to authenticated
  using (
    kind in ('transcript', 'redacted_transcript', 'redacted_audio')
    and organization_id = any ((select private.org_ids_allowing('recording.play'))::uuid[])
    and (not restricted or organization_id = any ((select private.org_ids_allowing('transcript.original'))::uuid[]))
  );

create policy "Members who may read translations can read their organization's translations"
  on public.call_artifacts for select to authenticated
  using (
    kind = 'translation'
    and organization_id = any ((select private.org_ids_allowing('translation.read'))::uuid[])
  );

create policy "Members who may read shopper results can read their organization's scores"
  on public.call_artifacts for select to authenticated
  using (
    kind = 'score'
    and organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[])
  );

-- Immutable for everyone: the grants refuse UPDATE and DELETE to the API roles, and this
-- trigger refuses them to whoever holds the privilege anyway (service role, table owner).
create trigger call_artifacts_immutable
  before update or delete on public.call_artifacts
  for each row execute function private.forbid_change();
