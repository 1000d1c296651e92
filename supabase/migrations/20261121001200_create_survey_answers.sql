-- Answers to a call's after-call survey, one row per question: the accepted digit, or
-- `invalid` after an out-of-range answer was re-prompted once and answered out of range again.
-- Written only by the Gather webhook (service path); a repeated delivery of the same answer
-- is a no-op through the unique key. Read by members whose role and plan include survey results.
create table public.survey_answers (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid not null references public.calls (id) on delete cascade,
  survey_id text not null,
  survey_version integer not null,
  question_index integer not null check (question_index >= 0),
  question_id text not null,
  answer text not null check (answer ~ '^[0-9]$' or answer = 'invalid'),
  digits text,
  attempts integer not null check (attempts between 1 and 2),
  answered_at timestamptz not null default now(),
  unique (call_id, question_index)
);
alter table public.survey_answers enable row level security;

revoke all on public.survey_answers from anon, authenticated;
grant select on public.survey_answers to authenticated;
grant select, insert on public.survey_answers to service_role;

create policy "Members who may read survey results can read their organization's answers"
  on public.survey_answers for select to authenticated
  using ((select private.can(organization_id, 'survey.read')));

create trigger survey_answers_append_only
  before update or delete on public.survey_answers
  for each row execute function private.forbid_change();
