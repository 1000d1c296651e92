-- PII redaction: an organization setting (default off) that the call snapshot copies, and the
-- access-model cell for reading the unredacted original of a redacted call (owners and admins,
-- Pro and up; lib/rbac/policy.ts has the same cell, tests/integration/rbac-agreement.test.ts
-- walks both). Operators and analysts then see the redacted transcript and audio only.
alter table public.voice_configs add column redact_pii boolean not null default false;

insert into private.action_plans (action, min_plan) values ('transcript.original', 'pro');
insert into private.permissions (action, role) values ('transcript.original', 'owner'), ('transcript.original', 'admin');
