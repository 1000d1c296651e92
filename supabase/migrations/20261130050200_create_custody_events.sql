-- The custody record (DESIGN §6): every sealing, view, export and verification of evidence,
-- per organization, as an append-only hash chain. Event n carries `sequence` n (1..), the
-- previous event's `hash` (null for the first) and its own `hash`: SHA-256 of the canonical
-- JSON of its fields and the previous hash (lib/evidence-sealing/custody.ts, the one writer,
-- computes it under a per-organization advisory lock; the insert trigger refuses a fork).
-- `actor_user_id` is null for the system (the sealing job). Never updated or deleted, by any
-- role, the service path and the table owner included (trigger). Read by members who may
-- export evidence.
create table public.custody_events (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  sequence bigint not null check (sequence >= 1),
  actor_user_id uuid,
  action text not null check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  call_id uuid,
  manifest_id uuid references public.evidence_manifests (id),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  request_id text check (length(request_id) <= 200),
  occurred_at timestamptz not null,
  previous_hash text check (previous_hash ~ '^[0-9a-f]{64}$'),
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  unique (organization_id, sequence),
  check ((sequence = 1) = (previous_hash is null))
);
alter table public.custody_events enable row level security;
create index custody_events_call_idx on public.custody_events (organization_id, call_id, sequence);

revoke all on public.custody_events from anon, authenticated, service_role;
grant select on public.custody_events to authenticated;
grant select, insert on public.custody_events to service_role;

create policy "Members who may export evidence can read their organization's custody record"
  on public.custody_events for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('evidence.export'))::uuid[]));

create function private.check_custody_chain() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_prev public.custody_events%rowtype;
begin
  select * into v_prev from public.custody_events
  where organization_id = new.organization_id order by sequence desc limit 1;
  if (not found and new.sequence <> 1)
     or (found and (new.sequence <> v_prev.sequence + 1 or new.previous_hash is distinct from v_prev.hash)) then
    raise exception 'custody event % does not follow the chain of organization %', new.sequence, new.organization_id
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger custody_events_chain
  before insert on public.custody_events
  for each row execute function private.check_custody_chain();
create trigger custody_events_immutable
  before update or delete on public.custody_events
  for each row execute function private.forbid_change();
create trigger custody_events_no_truncate
  before truncate on public.custody_events
  execute function private.forbid_change();
