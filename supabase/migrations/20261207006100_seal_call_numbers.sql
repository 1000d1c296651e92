-- Phone numbers encrypted at rest (docs/adr/0044): the calls' numbers.

-- A number as a column may hold it: E.164 (not yet sealed) or sealed.
create function private.is_stored_number(p_value text) returns boolean
language sql immutable
set search_path = ''
as $$
  select p_value ~ '^\+[1-9][0-9]{6,14}$' or p_value ~ '^pn1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{30,80}$'
$$;

-- What a viewer sees of an E.164 number (lib/pii/numbers.ts maskNumber), null for a sealed value.
create function private.number_mask(p_value text) returns text
language sql immutable
set search_path = ''
as $$
  select case when p_value ~ '^\+[0-9]+$' then
    '+' || c || repeat('•', greatest(length(d) - length(c) - 2, 0)) || right(d, 2)
  end
  from (select substr(p_value, 2) as d) x,
       lateral (select case when length(x.d) > 10 then left(x.d, length(x.d) - 10) else left(x.d, 1) end as c) y
$$;
revoke all on function private.is_stored_number(text), private.number_mask(text) from public;
grant execute on function private.is_stored_number(text), private.number_mask(text) to authenticated, service_role;


-- calls: both numbers sealed, hashed for search and masked for viewers. A part of a sealed
-- number cannot be searched: the trigram index and its function go; a whole number is found
-- by its hash (lib/calls/call-search.ts).
drop index public.calls_numbers_trgm_idx;
drop function private.number_search_call_ids(uuid, text);
alter table public.calls
  drop constraint calls_from_number_check,
  drop constraint calls_to_number_check,
  add constraint calls_from_number_check check (private.is_stored_number(from_number)),
  add constraint calls_to_number_check check (private.is_stored_number(to_number)),
  add column to_number_hash text check (length(to_number_hash) = 43),
  add column from_number_hash text check (length(from_number_hash) = 43),
  add column to_number_mask text check (length(to_number_mask) <= 20),
  add column from_number_mask text check (length(from_number_mask) <= 20);
update public.calls set to_number_mask = private.number_mask(to_number), from_number_mask = private.number_mask(from_number);
alter table public.calls alter column to_number_mask set not null, alter column from_number_mask set not null;
-- text `=` is leakproof, so these serve a member's search under RLS.
create index calls_to_number_hash_idx on public.calls (organization_id, to_number_hash);
create index calls_from_number_hash_idx on public.calls (organization_id, from_number_hash);

-- Keeps the masks of numbers written in E.164 (rows from before, seeds); a sealed value's
-- mask is the writer's, since only it can read the number.
create function private.mask_call_numbers() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.to_number_mask := coalesce(private.number_mask(new.to_number), new.to_number_mask);
  new.from_number_mask := coalesce(private.number_mask(new.from_number), new.from_number_mask);
  return new;
end
$$;
revoke all on function private.mask_call_numbers() from public;
create trigger calls_mask_numbers before insert or update of to_number, from_number on public.calls
  for each row execute function private.mask_call_numbers();


-- A call's snapshot stays frozen, but for its numbers' sealing: the re-sealing pass may replace
-- the value of `from`, `to` or `operatorPhone` with another stored form of a number (sealed under
-- a newer data key, or sealed at last). Anything else, a number removed or added, or a value that
-- is not a stored number, is still a change and refused. Whether the new value opens to the same
-- number the database cannot tell (it has no key); the pass writes it only where the old value
-- is still the one it opened (lib/pii/reseal.ts).
create function private.snapshot_changed(p_old jsonb, p_new jsonb) returns boolean
language sql immutable
set search_path = ''
as $$
  select (p_old - array['from', 'to', 'operatorPhone']) is distinct from (p_new - array['from', 'to', 'operatorPhone'])
    or exists (
      select 1 from unnest(array['from', 'to', 'operatorPhone']) as n(k)
      where jsonb_typeof(p_old -> n.k) is distinct from jsonb_typeof(p_new -> n.k)
         or (jsonb_typeof(p_new -> n.k) = 'string' and p_old ->> n.k <> p_new ->> n.k and not private.is_stored_number(p_new ->> n.k)))
$$;
revoke all on function private.snapshot_changed(jsonb, jsonb) from public;
grant execute on function private.snapshot_changed(jsonb, jsonb) to service_role;

drop trigger calls_snapshot_frozen on public.calls;
create trigger calls_snapshot_frozen
  before update of modulations on public.calls
  for each row when (private.snapshot_changed(old.modulations, new.modulations))
  execute function private.forbid_snapshot_change();
