-- Search whose cost follows the page, not the organization (docs/adr/0030), part 1: the text.
--
-- A search for a common word walks the calls in page order as the member and tests each call's
-- artifacts where they are (call_artifacts_call_idx); a search for a rarer one reads the GIN
-- index through private.text_search_call_ids (docs/adr/0018). Three changes serve them:
--
-- 1. The GIN index is keyed by organization as well as by lexeme (btree_gin, contrib, allowed on
--    hosted Supabase, created in schema `extensions` as Supabase does): a search reads only its
--    own organization's posting lists, so a word that a large organization says a hundred
--    thousand times costs a small organization nothing. It replaces the lexeme-only index.
-- 2. calls_id_org_created_idx: the calls an index search found (by id), with what the page
--    needs of them (organization, created_at), read from the index alone once the table's
--    pages are all-visible rather than from each call's row.
-- 3. private.search_queries(query): the search parsed once in every configuration, so that a
--    walk tests each artifact against the query of its own language without parsing it again
--    for each artifact (the function keeps its own exact test).

create schema if not exists extensions;
create extension if not exists btree_gin with schema extensions;

create index call_artifacts_org_search_idx on public.call_artifacts using gin (organization_id, search_vector)
  where search_vector is not null;
drop index public.call_artifacts_search_idx;

create index calls_id_org_created_idx on public.calls (id) include (organization_id, created_at);

-- The list now plans its statements once and reuses the plans (lib/calls/call-search.ts), and
-- since Postgres 18 a SQL function's statements follow that setting. These two are planned for
-- their arguments, as before: folded to constants, the search's tsquery and the digits' pattern
-- are what the GIN indexes are read with (a generic plan would rebuild the tsquery for every
-- artifact it rechecks).
alter function private.text_search_call_ids(uuid, text, boolean) set plan_cache_mode = force_custom_plan;
alter function private.number_search_call_ids(uuid, text) set plan_cache_mode = force_custom_plan;

-- The configurations private.search_config returns, in a fixed order: its own list, written out
-- once more, as private.search_query and private.text_search_call_ids do
-- (tests/integration/call-search-paths.test.ts checks that every one is here).
create function private.search_configs() returns regconfig[]
language sql immutable parallel safe
as $$
  select array['pg_catalog.simple', 'pg_catalog.english', 'pg_catalog.spanish', 'pg_catalog.french', 'pg_catalog.german',
    'pg_catalog.portuguese', 'pg_catalog.italian', 'pg_catalog.dutch', 'pg_catalog.swedish', 'pg_catalog.danish',
    'pg_catalog.norwegian', 'pg_catalog.finnish', 'pg_catalog.russian', 'pg_catalog.turkish', 'pg_catalog.hungarian',
    'pg_catalog.romanian', 'pg_catalog.greek', 'pg_catalog.indonesian', 'pg_catalog.irish', 'pg_catalog.lithuanian',
    'pg_catalog.arabic', 'pg_catalog.tamil', 'pg_catalog.nepali']::regconfig[]
$$;

-- A search parsed as websearch_to_tsquery does in each of those configurations, in the same
-- order. A walk computes it once per statement and tests each artifact against
-- `(private.search_queries(q))[array_position(private.search_configs(), private.search_config(language))]`:
-- the query of the artifact's own language, with no parse per artifact.
create function private.search_queries(p_query text) returns tsquery[]
language sql immutable parallel safe
as $$
  select array(select websearch_to_tsquery(u.cfg, p_query) from unnest(private.search_configs()) with ordinality as u(cfg, i) order by u.i)
$$;

revoke all on function private.search_configs(), private.search_queries(text) from public;
grant execute on function private.search_configs(), private.search_queries(text) to authenticated, service_role;
