-- Rows that belong to a call name it by (organization_id, call_id), so a row's organization
-- always matches its call's: a service-path bug that pairs one organization's id with another's
-- call is refused by the database, not discovered in an export. Replaces the call_id-only
-- foreign keys of call_events, recordings and survey_answers; later child tables do the same.
alter table public.calls add constraint calls_organization_id_id_key unique (organization_id, id);

alter table public.call_events drop constraint call_events_call_id_fkey;
alter table public.call_events add constraint call_events_call_fkey
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade;

alter table public.recordings drop constraint recordings_call_id_fkey;
alter table public.recordings add constraint recordings_call_fkey
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade;

alter table public.survey_answers drop constraint survey_answers_call_id_fkey;
alter table public.survey_answers add constraint survey_answers_call_fkey
  foreign key (organization_id, call_id) references public.calls (organization_id, id) on delete cascade;
