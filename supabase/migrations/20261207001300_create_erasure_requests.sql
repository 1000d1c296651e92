-- Erasure requests: a data subject (a phone number, E.164) asked to be forgotten. Every call to
-- or from the number loses its content with the tombstone reason "erasure_request"; calls under
-- a legal hold are held back and named here. The call rows and sealed manifests keep the number:
-- they are the record that the calls happened and what was erased (docs/adr/0037).
-- Written only by lib/retention/erasure.ts on the service path; read by members with
-- `retention.read`.
create table public.erasure_requests (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  phone_number text not null check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  reason text check (length(reason) <= 1000),
  requested_by uuid not null references auth.users (id),
  requested_at timestamptz not null default now(),
  -- The calls found with the number, and those a hold kept back, when the request was made.
  call_ids uuid[] not null default '{}',
  held_call_ids uuid[] not null default '{}'
);
alter table public.erasure_requests enable row level security;
create unique index erasure_requests_unique_id on public.erasure_requests (organization_id, id);

revoke all on public.erasure_requests from anon, authenticated, service_role;
grant select on public.erasure_requests to authenticated;
grant select, insert on public.erasure_requests to service_role;

create policy "Members who may read retention can read their organization's erasure requests"
  on public.erasure_requests for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('retention.read'))::uuid[]));

create trigger erasure_requests_append_only before update or delete on public.erasure_requests
  for each row execute function private.forbid_change();
