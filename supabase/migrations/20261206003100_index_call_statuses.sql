-- Search whose cost follows the page, not the organization (docs/adr/0030), part 4: statuses
-- few calls are in (GET /api/calls?status=ringing, or queued, or a status nobody is in).
--
-- A common status is found by walking the calls in page order; one that few calls are in would
-- walk the whole organization to fill a page (0.9 s at a million calls for a status nobody was
-- in). Under row-level security Postgres uses an index only for leakproof operators, and the
-- enum's `=` is not, so the index is read by `security definer` functions that apply the calls
-- policy's own rule (a member of that organization: private.member_org_ids reads auth.uid()),
-- like the text, score and number searches.
create index calls_org_status_idx on public.calls (organization_id, status);

-- The calls of an organization in any of these statuses; nothing for anyone not its member.
create function private.status_call_ids(p_org uuid, p_statuses text[]) returns setof uuid
language sql stable security definer
set search_path = ''
rows 100
as $$
  select c.id
  from public.calls c
  where p_org = any ((select private.member_org_ids())::uuid[])
    and c.organization_id = p_org
    and c.status = any (p_statuses::public.call_status[])
$$;

-- How many calls are in these statuses, counted up to p_cap (the index only, at most p_cap
-- entries): enough to tell a status few calls are in from a common one.
create function private.status_call_count(p_org uuid, p_statuses text[], p_cap integer) returns integer
language sql stable security definer
set search_path = ''
as $$
  select count(*)::integer from (
    select 1
    from public.calls c
    where p_org = any ((select private.member_org_ids())::uuid[])
      and c.organization_id = p_org
      and c.status = any (p_statuses::public.call_status[])
    limit p_cap
  ) few
$$;

revoke all on function private.status_call_ids(uuid, text[]), private.status_call_count(uuid, text[], integer) from public;
grant execute on function private.status_call_ids(uuid, text[]), private.status_call_count(uuid, text[], integer) to authenticated, service_role;
