-- Search whose cost follows the page, not the organization (docs/adr/0030), part 2: shopper
-- score ranges (GET /api/calls?scoreMin=&scoreMax=).
--
-- A wide range is found by walking the calls in page order and probing each call's score; a
-- narrow one (a few scores in a thousand calls) would walk most of the organization, so it is
-- read from this index instead. Under row-level security Postgres uses an index only for
-- leakproof operators, and jsonb `->>` and numeric comparisons are not, so the index is read by
-- a `security definer` function that applies the score policy's own rule from the caller's
-- memberships (survey.read in that organization, private.org_ids_allowing reads auth.uid()),
-- like the text and number searches of 20261130060000_create_call_search.sql. An expression
-- index rather than a stored column: call_artifacts holds evidence and can be large, and adding
-- a stored column would rewrite the whole table under an exclusive lock.

-- With the call and the artifact's own id (for the "superseded?" probe), the function reads
-- the index alone once the table's pages are all-visible.
create index call_artifacts_score_range_idx on public.call_artifacts (organization_id, ((body ->> 'score')::numeric))
  include (call_id, id)
  where kind = 'score';

-- Calls whose current (not superseded) shopper score lies in [p_min, p_max] (fractions of 1; a
-- null bound is open); nothing for anyone who may not read shopper results in that organization.
create function private.score_range_call_ids(p_org uuid, p_min numeric, p_max numeric) returns setof uuid
language sql stable security definer
set search_path = ''
rows 1000
as $$
  select a.call_id
  from public.call_artifacts a
  where p_org = any ((select private.org_ids_allowing('survey.read'))::uuid[])
    and a.organization_id = p_org
    and a.kind = 'score'
    and (a.body ->> 'score')::numeric between coalesce(p_min, '-Infinity'::numeric) and coalesce(p_max, 'Infinity'::numeric)
    and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id)
$$;

revoke all on function private.score_range_call_ids(uuid, numeric, numeric) from public;
grant execute on function private.score_range_call_ids(uuid, numeric, numeric) to authenticated, service_role;
