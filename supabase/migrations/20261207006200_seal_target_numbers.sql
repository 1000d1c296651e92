-- Phone numbers encrypted at rest (docs/adr/0044): every number outside the calls table.
-- Each column below takes a sealed value (lib/pii/numbers.ts sealNumber) or, for rows written
-- before, E.164 until the re-sealing pass (lib/pii/reseal.ts) seals it: a migration cannot seal,
-- the keys are not in the database. Where a number is looked up or joined, a keyed hash sits
-- beside it; new writes always write it, and the pass writes it for the rows from before.

-- Saved targets: sealed, one per number per organization through the hash.
alter table public.voice_targets
  drop constraint voice_targets_number_check,
  add constraint voice_targets_number_check check (private.is_stored_number(number)),
  add column number_hash text check (length(number_hash) = 43),
  drop constraint voice_targets_organization_id_number_key,
  add constraint voice_targets_organization_id_number_hash_key unique (organization_id, number_hash);

-- A campaign's copy of each target's number: sealed; the runner opens it before dialling.
alter table public.campaign_targets
  drop constraint campaign_targets_number_check,
  add constraint campaign_targets_number_check check (private.is_stored_number(number));

-- The organization's caller id and operator phone: sealed.
alter table public.voice_configs
  drop constraint voice_configs_caller_id_check,
  drop constraint voice_configs_operator_phone_check,
  add constraint voice_configs_caller_id_check check (private.is_stored_number(caller_id)),
  add constraint voice_configs_operator_phone_check check (private.is_stored_number(operator_phone));

-- Erasure requests: sealed, with the hash the erasure finds the calls by.
alter table public.erasure_requests
  drop constraint erasure_requests_phone_number_check,
  add constraint erasure_requests_phone_number_check check (private.is_stored_number(phone_number)),
  add column phone_number_hash text check (length(phone_number_hash) = 43);

-- Append-only but for the re-sealing pass: it may replace the sealed number (the same number
-- under the organization's current data key) and write the hash a request from before lacks.
-- Safe because nothing else can change: every other column, and a hash once written, stay as
-- they are, so what was asked, by whom, when and which calls it found is still the record; the
-- hash pins which number the request is about, and only the service path may update at all.
create function private.erasure_request_reseal_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE'
     and (to_jsonb(new) - 'phone_number' - 'phone_number_hash') = (to_jsonb(old) - 'phone_number' - 'phone_number_hash')
     and (old.phone_number_hash is null or new.phone_number_hash = old.phone_number_hash) then
    return new;
  end if;
  raise exception '% is append-only (only its number may be re-sealed)', tg_table_name using errcode = 'insufficient_privilege';
end
$$;
revoke all on function private.erasure_request_reseal_only() from public;
drop trigger erasure_requests_append_only on public.erasure_requests;
create trigger erasure_requests_append_only before update or delete on public.erasure_requests
  for each row execute function private.erasure_request_reseal_only();
grant update (phone_number, phone_number_hash) on public.erasure_requests to service_role;

-- A target's updated_at says when someone last changed it: the re-sealing pass (the service path
-- rewriting the number and its hash alone, the same number) does not count. Runs after
-- voice_targets_guard (triggers fire by name), which sets updated_at on every update.
create function private.keep_target_updated_at_on_reseal() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_setting('role', true) = 'service_role'
     and (to_jsonb(new) - 'number' - 'number_hash' - 'updated_at') = (to_jsonb(old) - 'number' - 'number_hash' - 'updated_at') then
    new.updated_at := old.updated_at;
  end if;
  return new;
end
$$;
revoke all on function private.keep_target_updated_at_on_reseal() from public;
create trigger voice_targets_reseal_keeps_updated_at before update of number on public.voice_targets
  for each row execute function private.keep_target_updated_at_on_reseal();
