-- Bulk evidence exports (issue 11, docs/adr/0020): one archive of many calls' evidence bundles,
-- built by the `bulk_export` job. The selection is frozen when the export is requested
-- (`call_ids`, in the order they are archived; `filter` is what the member asked for, kept for
-- the archive's index). Progress (`done`/`total`, `current_call_id`) moves per call; a completed
-- export names its stored archive (`storage_path`, `bytes`, `sha256`) until `expires_at`, after
-- which the reconciler deletes the object and marks the export expired.
--
-- Written only on the service path by lib/evidence-sealing/bulk-export.ts. Read by members who
-- may export evidence in the organization: all of its exports, not only their own (each of them
-- could export the same calls; the custody record they also read names who did). Status moves
-- forward only (trigger), and what a completed export's archive is never changes.
create table public.evidence_exports (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  requested_by uuid not null,
  filter jsonb not null default '{}'::jsonb,
  call_ids uuid[] not null check (cardinality(call_ids) between 1 and 500),
  status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed', 'canceled', 'expired')),
  done integer not null default 0 check (done >= 0),
  total integer not null check (total = cardinality(call_ids)),
  current_call_id uuid,
  bytes bigint check (bytes >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  storage_path text check (length(storage_path) between 1 and 1024),
  error text check (length(error) <= 2000),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz,
  check (done <= total),
  check (status <> 'completed' or (sha256 is not null and bytes is not null and storage_path is not null and expires_at is not null))
);
alter table public.evidence_exports enable row level security;
create index evidence_exports_org_created_idx on public.evidence_exports (organization_id, created_at desc);
create index evidence_exports_expiring_idx on public.evidence_exports (expires_at) where status = 'completed';

revoke all on public.evidence_exports from anon, authenticated, service_role;
grant select on public.evidence_exports to authenticated;
grant select, insert, update on public.evidence_exports to service_role;

create policy "Members who may export evidence can read their organization's exports"
  on public.evidence_exports for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

-- Forward only: queued → running → completed | failed | canceled, queued → canceled | failed,
-- running → queued (a retry after a crash starts over), completed → expired. The request's
-- facts never change, and a completed archive's path, size and hash are fixed from then on.
create function private.check_evidence_export_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.id <> old.id or new.organization_id <> old.organization_id or new.requested_by <> old.requested_by
     or new.filter <> old.filter or new.call_ids <> old.call_ids or new.total <> old.total or new.created_at <> old.created_at then
    raise exception 'evidence export %: what was requested never changes', old.id using errcode = 'check_violation';
  end if;
  if new.status <> old.status and not (
       (old.status = 'queued' and new.status in ('running', 'canceled', 'failed'))
    or (old.status = 'running' and new.status in ('queued', 'completed', 'failed', 'canceled'))
    or (old.status = 'completed' and new.status = 'expired')
  ) then
    raise exception 'evidence export %: status cannot go from % to %', old.id, old.status, new.status using errcode = 'check_violation';
  end if;
  if old.status in ('completed', 'expired') and (new.sha256 is distinct from old.sha256 or new.bytes is distinct from old.bytes
     or new.storage_path is distinct from old.storage_path or new.expires_at is distinct from old.expires_at or new.done <> old.done) then
    raise exception 'evidence export %: a completed archive never changes', old.id using errcode = 'check_violation';
  end if;
  if old.status in ('failed', 'canceled', 'expired') and new is distinct from old then
    raise exception 'evidence export % is %: it never changes again', old.id, old.status using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger evidence_exports_forward_only
  before update on public.evidence_exports
  for each row execute function private.check_evidence_export_update();
create trigger evidence_exports_no_delete
  before delete on public.evidence_exports
  for each row execute function private.forbid_change();
