-- Export statements (docs/adr/0025): when a call's evidence bundle is exported, the issuer signs
-- what the bundle holds (every file with its size, SHA-256 and SHA-512, the custody record among
-- them) and appends that signed statement to the organization's evidence log, as a second kind
-- of leaf beside sealed manifests. A bundle then proves its own inventory and custody: a file
-- added, dropped or edited, or a custody event removed, reordered or rewritten, no longer
-- matches a statement that was signed, logged and timestamped.
--
-- `export_id` is the request id of the export (the `evidence.exported` custody event carries
-- it); `custody_sequence` the sequence of that event, the last one the statement covers.
-- Written by the log's one writer (lib/evidence-sealing/log.ts) as the service; never updated or
-- deleted. Read by members who may export evidence, like the log.
create table public.evidence_export_statements (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null,
  export_id text not null check (length(export_id) between 1 and 200),
  custody_sequence bigint not null check (custody_sequence >= 1),
  jws text not null check (jws ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  statement_sha256 text not null check (statement_sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade,
  unique (organization_id, statement_sha256)
);
alter table public.evidence_export_statements enable row level security;
create index evidence_export_statements_call_idx on public.evidence_export_statements (organization_id, call_id, created_at);

revoke all on public.evidence_export_statements from anon, authenticated, service_role;
grant select on public.evidence_export_statements to authenticated;
grant select, insert on public.evidence_export_statements to service_role;

create policy "Members who may export evidence can read their organization's export statements"
  on public.evidence_export_statements for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

create trigger evidence_export_statements_immutable
  before update or delete on public.evidence_export_statements
  for each row execute function private.forbid_change();
create trigger evidence_export_statements_no_truncate
  before truncate on public.evidence_export_statements
  execute function private.forbid_change();

-- A leaf is a sealed manifest or an export statement, exactly one of them.
alter table public.evidence_log_entries alter column manifest_id drop not null;
alter table public.evidence_log_entries
  add column export_statement_id uuid unique references public.evidence_export_statements (id);
alter table public.evidence_log_entries
  add constraint evidence_log_entries_one_kind check (num_nonnulls(manifest_id, export_statement_id) = 1);

-- Leaf i is appended only after leaf i-1, and what it commits to is of its own organization.
create or replace function private.check_log_append() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.leaf_index <> coalesce((select max(leaf_index) + 1 from public.evidence_log_entries where organization_id = new.organization_id), 0) then
    raise exception 'leaf % would leave a gap in the log of organization %', new.leaf_index, new.organization_id
      using errcode = 'check_violation';
  end if;
  if new.manifest_id is not null
     and not exists (select 1 from public.evidence_manifests m where m.id = new.manifest_id and m.organization_id = new.organization_id) then
    raise exception 'manifest % is not of organization %', new.manifest_id, new.organization_id using errcode = 'check_violation';
  end if;
  if new.export_statement_id is not null
     and not exists (select 1 from public.evidence_export_statements s where s.id = new.export_statement_id and s.organization_id = new.organization_id) then
    raise exception 'export statement % is not of organization %', new.export_statement_id, new.organization_id using errcode = 'check_violation';
  end if;
  return new;
end
$$;
