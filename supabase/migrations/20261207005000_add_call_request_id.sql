-- The request that placed a call (docs/adr/0043): `POST /api/calls`'s request id, written with
-- the call by lib/calls/place-call.ts (the calls table's writer) and never changed. It is what
-- joins a call's log lines together: every job about the call carries it, whoever enqueued the
-- job (the placing request, a carrier or transcriber callback an hour later, a trigger, the
-- reconciler), so the sealing job's lines name the request an operator reported. Null for calls
-- placed before this column, and for campaign calls, which no request places.
alter table public.calls add column request_id text
  constraint calls_request_id_shape check (request_id ~ '^[A-Za-z0-9._:-]{8,128}$');

-- The one way SQL enqueues a job (20261121001000_create_jobs_enqueue.sql), now stamping a job
-- about a call with the call's request id. A payload that names no call keeps the `requestId`
-- its enqueuer gave it (lib/jobs/enqueue.ts lends the request or job at work); job keys and the
-- task's own fields are untouched, and each task's schema ignores the extra field.
create or replace function private.enqueue_job(
  p_task text,
  p_payload jsonb,
  p_job_key text default null,
  p_run_at timestamptz default null,
  p_max_attempts integer default 12
) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_payload jsonb := p_payload;
  v_request_id text;
  uuid_shape constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
  if (v_payload ->> 'callId') ~ uuid_shape and (v_payload ->> 'orgId') ~ uuid_shape then
    select c.request_id into v_request_id
      from public.calls c
     where c.id = (v_payload ->> 'callId')::uuid
       and c.organization_id = (v_payload ->> 'orgId')::uuid;
    if v_request_id is not null then
      v_payload := v_payload || jsonb_build_object('requestId', v_request_id);
    end if;
  end if;
  perform graphile_worker.add_job(
    identifier => p_task,
    payload => v_payload::json,
    run_at => coalesce(p_run_at, now()),
    max_attempts => p_max_attempts,
    job_key => p_job_key,
    job_key_mode => 'preserve_run_at'
  );
end
$$;

revoke all on function private.enqueue_job(text, jsonb, text, timestamptz, integer) from public;
grant execute on function private.enqueue_job(text, jsonb, text, timestamptz, integer) to service_role;
