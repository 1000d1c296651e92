-- Sealing follows the call timeline (docs/adr/0016): an event that can change a call's set of
-- artifacts — a final status, a recording stored, failed, absent or missing, a transcript,
-- translation, redaction or score stored, a transcription failed, a survey answer — enqueues
-- `seal_call` for the call, in the same transaction as the event. The job key is per call and
-- the run is two seconds out, so a burst of events (the end of a call brings several) seals
-- once; the job seals only a call in a final status and only when something changed.
create function private.enqueue_seal_call() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if new.kind in ('provider.status', 'reconcile.status', 'reconcile.adopted')
     and lower(coalesce(new.payload ->> 'CallStatus', '')) not in ('completed', 'busy', 'no-answer', 'no_answer', 'failed', 'canceled') then
    return null;
  end if;
  perform private.enqueue_job(
    p_task => 'seal_call',
    p_payload => jsonb_build_object('orgId', new.organization_id, 'callId', new.call_id),
    p_job_key => 'seal_call:' || new.call_id::text,
    p_run_at => now() + interval '2 seconds'
  );
  return null;
end
$$;
revoke all on function private.enqueue_seal_call() from public;

create trigger call_events_seal
  after insert on public.call_events
  for each row
  when (new.kind in (
    'provider.status', 'reconcile.status', 'reconcile.adopted', 'call.dial_failed',
    'recording.stored', 'recording.failed', 'recording.absent', 'recording.missing',
    'transcription.completed', 'transcription.failed', 'translation.stored', 'redacted_audio.stored',
    'score.stored', 'provider.gather'
  ))
  execute function private.enqueue_seal_call();
