-- Survey answers become artifacts (issue 9): keypad or speech, each row with the SHA-256 of its
-- canonical JSON (lib/calls/survey-answers.ts builds the document from the row's own columns)
-- and its provenance: where the answer came from (`source`), the provider and the callback's
-- sid, the survey version's hash, and when it was received. Still insert-only for every role,
-- the service path included (survey_answers_append_only, from the creating migration).
--
-- Rows written before this migration keep what they had (a keypad digit or `invalid`, no hash):
-- the new rules are NOT VALID constraints, enforced on every row written from now on.
alter table public.survey_answers
  add column source text,
  add column speech_confidence numeric,
  add column survey_sha256 text,
  add column provider text,
  add column provider_sid text,
  add column received_at timestamptz,
  add column sha256 text;

alter table public.survey_answers drop constraint survey_answers_answer_check;

alter table public.survey_answers
  add constraint survey_answers_answer_by_source check (
    (source = 'keypad' and answer ~ '^[0-9]$')
    or (source = 'speech' and length(answer) between 1 and 2000 and (speech_confidence is null or speech_confidence between 0 and 1))
    or (source = 'none' and answer = 'invalid')
  ) not valid,
  add constraint survey_answers_artifact check (
    sha256 ~ '^[0-9a-f]{64}$' and provider is not null and received_at is not null
    and (survey_sha256 is null or survey_sha256 ~ '^[0-9a-f]{64}$')
  ) not valid;

create trigger survey_answers_no_truncate before truncate on public.survey_answers
  execute function private.forbid_change();
