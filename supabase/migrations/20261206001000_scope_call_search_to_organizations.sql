-- Search whose cost follows the page, not the organization (docs/adr/0030), part 1: the text.
--
-- A search for a common word walks the calls in page order as the member and tests each call's
-- artifacts where they are (call_artifacts_call_idx); a search for a rarer one reads the GIN
-- index through private.text_search_call_ids (docs/adr/0018). Two changes serve them:
--
-- 1. The GIN index is keyed by organization as well as by lexeme (btree_gin, contrib, allowed on
--    hosted Supabase, created in schema `extensions` as Supabase does): a search reads only its
--    own organization's posting lists, so a word that a large organization says a hundred
--    thousand times costs a small organization nothing. It replaces the lexeme-only index.
-- 2. calls_id_org_created_idx: the calls an index search found (by id), with what the page
--    needs of them (organization, created_at), read from the index alone once the table's
--    pages are all-visible rather than from each call's row.
-- 3. private.search_matches(vector, language, query): whether an artifact's text matches a
--    search in the configuration of the artifact's own language. An inlined SQL expression with
--    one branch per configuration, so when the query is a constant (the list plans filtered
--    statements for their values) each branch's tsquery is parsed once, at planning, not once
--    per artifact. The walk uses it; the function keeps its own exact test.

create schema if not exists extensions;
create extension if not exists btree_gin with schema extensions;

create index call_artifacts_org_search_idx on public.call_artifacts using gin (organization_id, search_vector)
  where search_vector is not null;
drop index public.call_artifacts_search_idx;

create index calls_id_org_created_idx on public.calls (id) include (organization_id, created_at);

-- No `set search_path` (every name is qualified) and nothing volatile, so Postgres inlines it.
create function private.search_matches(p_vector tsvector, p_language text, p_query text) returns boolean
language sql immutable parallel safe
as $$
  select p_vector @@ (case private.search_config(p_language)
    when 'pg_catalog.english'::regconfig then websearch_to_tsquery('pg_catalog.english'::regconfig, p_query)
    when 'pg_catalog.spanish'::regconfig then websearch_to_tsquery('pg_catalog.spanish'::regconfig, p_query)
    when 'pg_catalog.french'::regconfig then websearch_to_tsquery('pg_catalog.french'::regconfig, p_query)
    when 'pg_catalog.german'::regconfig then websearch_to_tsquery('pg_catalog.german'::regconfig, p_query)
    when 'pg_catalog.portuguese'::regconfig then websearch_to_tsquery('pg_catalog.portuguese'::regconfig, p_query)
    when 'pg_catalog.italian'::regconfig then websearch_to_tsquery('pg_catalog.italian'::regconfig, p_query)
    when 'pg_catalog.dutch'::regconfig then websearch_to_tsquery('pg_catalog.dutch'::regconfig, p_query)
    when 'pg_catalog.swedish'::regconfig then websearch_to_tsquery('pg_catalog.swedish'::regconfig, p_query)
    when 'pg_catalog.danish'::regconfig then websearch_to_tsquery('pg_catalog.danish'::regconfig, p_query)
    when 'pg_catalog.norwegian'::regconfig then websearch_to_tsquery('pg_catalog.norwegian'::regconfig, p_query)
    when 'pg_catalog.finnish'::regconfig then websearch_to_tsquery('pg_catalog.finnish'::regconfig, p_query)
    when 'pg_catalog.russian'::regconfig then websearch_to_tsquery('pg_catalog.russian'::regconfig, p_query)
    when 'pg_catalog.turkish'::regconfig then websearch_to_tsquery('pg_catalog.turkish'::regconfig, p_query)
    when 'pg_catalog.hungarian'::regconfig then websearch_to_tsquery('pg_catalog.hungarian'::regconfig, p_query)
    when 'pg_catalog.romanian'::regconfig then websearch_to_tsquery('pg_catalog.romanian'::regconfig, p_query)
    when 'pg_catalog.greek'::regconfig then websearch_to_tsquery('pg_catalog.greek'::regconfig, p_query)
    when 'pg_catalog.indonesian'::regconfig then websearch_to_tsquery('pg_catalog.indonesian'::regconfig, p_query)
    when 'pg_catalog.irish'::regconfig then websearch_to_tsquery('pg_catalog.irish'::regconfig, p_query)
    when 'pg_catalog.lithuanian'::regconfig then websearch_to_tsquery('pg_catalog.lithuanian'::regconfig, p_query)
    when 'pg_catalog.arabic'::regconfig then websearch_to_tsquery('pg_catalog.arabic'::regconfig, p_query)
    when 'pg_catalog.tamil'::regconfig then websearch_to_tsquery('pg_catalog.tamil'::regconfig, p_query)
    when 'pg_catalog.nepali'::regconfig then websearch_to_tsquery('pg_catalog.nepali'::regconfig, p_query)
    else websearch_to_tsquery('pg_catalog.simple'::regconfig, p_query) end)
$$;

revoke all on function private.search_matches(tsvector, text, text) from public;
grant execute on function private.search_matches(tsvector, text, text) to authenticated, service_role;
