-- Indexes for the call list's filters (GET /api/calls, lib/calls/call-search.ts; docs/adr/0018).
-- The list pages by (created_at, id) descending within an organization (calls_org_created_idx);
-- filters on the call row (status, flow, dates) and on a call's artifacts (has, score: probes
-- of call_artifacts_call_idx) are tested as that index is read backwards, which stops at the
-- page. Under row-level security Postgres uses an index only for leakproof operators, which
-- enum `=`, jsonb `->>`, `@@` and LIKE are not: an index on status or on an expression of the
-- snapshot would never be chosen. Text and number search go through the functions of
-- 20261130060000_create_call_search.sql; the script and survey a call ran are copied out of
-- its snapshot into generated columns, compared with text `=` (leakproof), so their indexes serve.

-- The shopper script and survey (ids) of the call's snapshot. Generated: the snapshot never
-- changes (calls_snapshot_frozen), and nobody writes these.
alter table public.calls
  add column snapshot_script_id text generated always as (modulations -> 'shopperScript' ->> 'id') stored,
  add column snapshot_survey_id text generated always as (modulations -> 'survey' ->> 'id') stored;
create index calls_org_script_created_idx on public.calls (organization_id, snapshot_script_id, created_at desc, id desc)
  where snapshot_script_id is not null;
create index calls_org_survey_created_idx on public.calls (organization_id, snapshot_survey_id, created_at desc, id desc)
  where snapshot_survey_id is not null;

-- Digits of the numbers, for members who see them whole: a substring of 3+ digits is a
-- trigram search. pg_trgm ships with Postgres (contrib) and hosted Supabase allows it; like
-- Supabase, extensions live in schema `extensions`.
create schema if not exists extensions;
create extension if not exists pg_trgm with schema extensions;
create index calls_numbers_trgm_idx on public.calls using gin ((to_number || ' ' || from_number) extensions.gin_trgm_ops);

-- The "is it current" test (no later artifact supersedes it) as an index probe.
create index call_artifacts_supersedes_idx on public.call_artifacts (supersedes) where supersedes is not null;
