-- Background jobs live in graphile-worker's own schema (installed by lib/jobs before the app
-- serves). This function is the one way SQL enqueues a job, so a webhook can store its event
-- and enqueue the follow-up work in one transaction. Security definer because graphile-worker's
-- schema belongs to the migration owner; only service_role may call it.
create function private.enqueue_job(
  p_task text,
  p_payload jsonb,
  p_job_key text default null,
  p_run_at timestamptz default null,
  p_max_attempts integer default 12
) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  perform graphile_worker.add_job(
    identifier => p_task,
    payload => p_payload::json,
    run_at => coalesce(p_run_at, now()),
    max_attempts => p_max_attempts,
    job_key => p_job_key,
    job_key_mode => 'preserve_run_at'
  );
end
$$;

revoke all on function private.enqueue_job(text, jsonb, text, timestamptz, integer) from public;
grant execute on function private.enqueue_job(text, jsonb, text, timestamptz, integer) to service_role;
