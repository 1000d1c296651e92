-- Each organization's evidence log (docs/adr/0010, 0016): an RFC 9162 Merkle log whose leaves
-- are sealed manifests, in sealing order. `evidence_log_entries` holds leaf i of an
-- organization's log: the manifest and SHA-256(0x00 ‖ the ASCII of its compact JWS).
-- `evidence_tree_heads` holds the signed head after each append (tree size, root, the JWS
-- over them) and the RFC 3161 timestamp token (DER) a TSA issued over that JWS's bytes.
-- Appends are serialized per organization by a transaction-scoped advisory lock that the one
-- writer (lib/evidence-sealing/log.ts) takes; the insert trigger also refuses a gap. Never
-- updated or deleted, by any role, the service path and the table owner included (trigger).
-- Read by members who may export evidence.
create table public.evidence_log_entries (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  leaf_index bigint not null check (leaf_index >= 0),
  manifest_id uuid not null unique references public.evidence_manifests (id),
  leaf_hash bytea not null check (octet_length(leaf_hash) = 32),
  created_at timestamptz not null default now(),
  primary key (organization_id, leaf_index)
);
alter table public.evidence_log_entries enable row level security;

create table public.evidence_tree_heads (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  tree_size bigint not null check (tree_size >= 1),
  root_hash bytea not null check (octet_length(root_hash) = 32),
  jws text not null check (jws ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  kid text not null check (length(kid) between 1 and 200),
  timestamp_token bytea not null,
  tsa_name text not null check (length(tsa_name) between 1 and 200),
  -- genTime of the token: no later than this, the head existed.
  timestamped_at timestamptz not null,
  created_at timestamptz not null default now(),
  unique (organization_id, tree_size)
);
alter table public.evidence_tree_heads enable row level security;

revoke all on public.evidence_log_entries, public.evidence_tree_heads from anon, authenticated, service_role;
grant select on public.evidence_log_entries, public.evidence_tree_heads to authenticated;
grant select, insert on public.evidence_log_entries, public.evidence_tree_heads to service_role;

create policy "Members who may export evidence can read their organization's log"
  on public.evidence_log_entries for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

create policy "Members who may export evidence can read their organization's tree heads"
  on public.evidence_tree_heads for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

-- Leaf i is appended only after leaf i-1, and a manifest goes only into its own organization's log.
create function private.check_log_append() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.leaf_index <> coalesce((select max(leaf_index) + 1 from public.evidence_log_entries where organization_id = new.organization_id), 0) then
    raise exception 'leaf % would leave a gap in the log of organization %', new.leaf_index, new.organization_id
      using errcode = 'check_violation';
  end if;
  if not exists (select 1 from public.evidence_manifests m where m.id = new.manifest_id and m.organization_id = new.organization_id) then
    raise exception 'manifest % is not of organization %', new.manifest_id, new.organization_id using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger evidence_log_entries_gap_free
  before insert on public.evidence_log_entries
  for each row execute function private.check_log_append();

create trigger evidence_log_entries_immutable
  before update or delete on public.evidence_log_entries
  for each row execute function private.forbid_change();
create trigger evidence_log_entries_no_truncate
  before truncate on public.evidence_log_entries
  execute function private.forbid_change();
create trigger evidence_tree_heads_immutable
  before update or delete on public.evidence_tree_heads
  for each row execute function private.forbid_change();
create trigger evidence_tree_heads_no_truncate
  before truncate on public.evidence_tree_heads
  execute function private.forbid_change();
