-- Indexes for the call list's filters (GET /api/calls, lib/calls/call-search.ts; docs/adr/0018).
-- The list pages by (created_at, id) descending within an organization (calls_org_created_idx);
-- filters on the call row (status, flow, dates, script, survey) and on a call's artifacts
-- (has, score: probes of call_artifacts_call_idx) are tested as that index is read backwards,
-- which stops at the page. Under row-level security Postgres uses an index only for leakproof
-- operators, which enum `=`, jsonb `->>`, `@@` and LIKE are not: an index on status or on the
-- snapshot's script id would never be chosen. Text and number search, the lookups an index
-- changes most, go through the functions of 20261130060000_create_call_search.sql.

-- Digits of the numbers, for members who see them whole: a substring of 3+ digits is a
-- trigram search. pg_trgm ships with Postgres (contrib) and hosted Supabase allows it; like
-- Supabase, extensions live in schema `extensions`.
create schema if not exists extensions;
create extension if not exists pg_trgm with schema extensions;
create index calls_numbers_trgm_idx on public.calls using gin ((to_number || ' ' || from_number) extensions.gin_trgm_ops);

-- The "is it current" test (no later artifact supersedes it) as an index probe.
create index call_artifacts_supersedes_idx on public.call_artifacts (supersedes) where supersedes is not null;
