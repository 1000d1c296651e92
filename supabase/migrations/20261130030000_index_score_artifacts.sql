-- Shopper scores in public.call_artifacts (kind 'score'), written by lib/intelligence/scoring.ts
-- through lib/intelligence/artifacts.ts. A score is not one per transcription request (a new
-- rubric version re-scores the same transcript), so it carries no transcription_id and is
-- deduplicated by what it was made from instead: one score per call, transcript artifact and
-- rubric (shopper script id and version). A repeated job run or a repeated re-score of the same
-- version stores nothing; a new rubric version is a new row that supersedes the previous score.
alter table public.call_artifacts
  add constraint call_artifacts_score_inputs check (
    kind <> 'score' or (
      transcription_id is null
      and inputs #>> '{transcript,id}' is not null
      and inputs #>> '{rubric,scriptId}' is not null
      and inputs #>> '{rubric,version}' is not null
    )
  );

create unique index call_artifacts_score_once
  on public.call_artifacts (organization_id, call_id, (inputs #>> '{transcript,id}'), (inputs #>> '{rubric,scriptId}'), (inputs #>> '{rubric,version}'))
  where kind = 'score';
