-- Evidence manifests (issue 10, docs/adr/0016): every sealed version of a call's manifest. A
-- version is the manifest's canonical JSON (`manifest`, RFC 8785 re-serializes it exactly), the
-- SHA-256 of those bytes, and the compact JWS (Ed25519, `kid`) over them. Versions of one call
-- are numbered 1..n with no gaps and chained: version n+1 names version n's hash and id.
-- Never updated or deleted, by any role, the service path and the table owner included
-- (trigger); a change is a new version. Written only by the sealing job
-- (lib/evidence-sealing/manifests.ts); read by members who may export evidence.
create table public.evidence_manifests (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null,
  version integer not null check (version >= 1),
  manifest jsonb not null,
  manifest_sha256 text not null check (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  jws text not null check (jws ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  kid text not null check (length(kid) between 1 and 200),
  previous_sha256 text check (previous_sha256 ~ '^[0-9a-f]{64}$'),
  supersedes uuid references public.evidence_manifests (id),
  sealed_at timestamptz not null default now(),
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade,
  unique (call_id, version),
  unique (supersedes),
  check ((version = 1) = (previous_sha256 is null)),
  check ((version = 1) = (supersedes is null))
);
alter table public.evidence_manifests enable row level security;
create index evidence_manifests_org_call_idx on public.evidence_manifests (organization_id, call_id, version desc);

revoke all on public.evidence_manifests from anon, authenticated, service_role;
grant select on public.evidence_manifests to authenticated;
grant select, insert on public.evidence_manifests to service_role;

create policy "Members who may export evidence can read their organization's manifests"
  on public.evidence_manifests for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

-- A new version must follow the latest one of its call: the next number, naming its hash.
create function private.check_manifest_chain() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_prev public.evidence_manifests%rowtype;
begin
  if new.version = 1 then
    return new;
  end if;
  select * into v_prev from public.evidence_manifests
  where call_id = new.call_id and organization_id = new.organization_id and version = new.version - 1;
  if not found or v_prev.id <> new.supersedes or v_prev.manifest_sha256 <> new.previous_sha256 then
    raise exception 'manifest version % of call % does not follow version %', new.version, new.call_id, new.version - 1
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger evidence_manifests_chain
  before insert on public.evidence_manifests
  for each row execute function private.check_manifest_chain();

create trigger evidence_manifests_immutable
  before update or delete on public.evidence_manifests
  for each row execute function private.forbid_change();
create trigger evidence_manifests_no_truncate
  before truncate on public.evidence_manifests
  execute function private.forbid_change();
