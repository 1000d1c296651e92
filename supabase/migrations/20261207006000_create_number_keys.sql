-- Phone numbers encrypted at rest (issue 22, docs/adr/0044): the keys, and what a column holding
-- a number may hold. The columns follow in the migrations after this one.
--
-- Every column that held an E.164 number now holds it sealed (`pn1.<data key>.<iv>.<body>`,
-- AES-256-GCM under the organization's data key, lib/pii/numbers.ts) or, until the sealing
-- task has run over rows written before this migration, still in E.164: a migration cannot
-- seal, the keys are not in the database. Beside the numbers that are searched or joined, a
-- keyed hash (`*_hash`, HMAC-SHA256 under the organization's index key) that search, the
-- targets' uniqueness and the joins by number compare; beside the calls', the mask a viewer
-- sees (`*_mask`, the country code and the last two digits), kept by a trigger while a value is
-- still E.164 and by the writer once sealed, so a viewer's search reads no number.

-- The organizations' data keys, only wrapped under a key-encryption key named by kek_id. One
-- is current per organization; the ones before stay until nothing is sealed under them.
create table private.number_data_keys (
  id uuid primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  kek_id text not null check (kek_id ~ '^[A-Za-z0-9_-]{1,32}$'),
  wrapped text not null check (length(wrapped) between 20 and 200),
  current boolean not null default true,
  created_at timestamptz not null default now()
);
create unique index number_data_keys_current_idx on private.number_data_keys (organization_id) where current;
create index number_data_keys_org_idx on private.number_data_keys (organization_id);
revoke all on private.number_data_keys from public, anon, authenticated;
grant select, update on private.number_data_keys to service_role;

-- The organization's current data key and the ones named, wrapped: for its members and the
-- service path only. Wrapped keys open nothing without the KEK, which is not in the database.
create function private.number_data_keys_of(p_org uuid, p_ids uuid[])
returns table (id uuid, organization_id uuid, kek_id text, wrapped text, current boolean)
language sql stable security definer
set search_path = ''
as $$
  select k.id, k.organization_id, k.kek_id, k.wrapped, k.current
  from private.number_data_keys k
  where k.organization_id = p_org
    and (k.current or k.id = any (p_ids))
    and (current_setting('role', true) = 'service_role' or private.is_member(p_org))
$$;

-- Adds a data key the caller made and wrapped. Without p_replace it becomes current only if
-- the organization has none (a key another process made first wins); with it (the service
-- path's rotation) it replaces the current one, which stays for what is sealed under it.
-- Returns the organization's current key.
create function private.add_number_data_key(p_org uuid, p_id uuid, p_kek text, p_wrapped text, p_replace boolean)
returns table (id uuid, organization_id uuid, kek_id text, wrapped text, current boolean)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if not (current_setting('role', true) = 'service_role' or private.is_member(p_org)) or (p_replace and current_setting('role', true) <> 'service_role') then
    raise exception 'not allowed' using errcode = 'insufficient_privilege';
  end if;
  if p_replace then
    update private.number_data_keys k set current = false where k.organization_id = p_org and k.current;
  end if;
  insert into private.number_data_keys (id, organization_id, kek_id, wrapped)
  values (p_id, p_org, p_kek, p_wrapped)
  on conflict (organization_id) where current do nothing;
  return query select k.id, k.organization_id, k.kek_id, k.wrapped, k.current
    from private.number_data_keys k where k.organization_id = p_org and k.current;
end
$$;
revoke all on function private.number_data_keys_of(uuid, uuid[]), private.add_number_data_key(uuid, uuid, text, text, boolean) from public;
grant execute on function private.number_data_keys_of(uuid, uuid[]), private.add_number_data_key(uuid, uuid, text, text, boolean) to authenticated, service_role;
