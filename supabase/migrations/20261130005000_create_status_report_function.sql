-- A provider status report in one statement (one round trip), and the one insert into the
-- call timeline.
--
-- private.append_call_event is the only statement in the system that inserts into
-- public.call_events: lib/calls/timeline.ts `appendCallEvent` calls it (after checking the
-- payload against its catalogue), and so does private.apply_status_report below. Appends for
-- one call are serialized by a transaction-scoped advisory lock on the call id, so a hash chain
-- over the timeline can never fork.
--
-- private.apply_status_report does what lib/calls/status.ts did in six round trips: lock the
-- call, check the CallSid (this call's, or not claimed by another), refuse a re-split that drops
-- or adds SequenceNumber, store the report once by its dedupe key, and move the call forward by
-- the state machine (lib/calls/state-machine.ts; tests/integration/status-report.test.ts proves
-- the two agree for every pair of statuses). The realtime notice comes from the existing
-- triggers on calls and call_events, in the same statement. Security definer: it runs as the
-- service path whoever calls it, and always names the organization in what it writes.
create function private.append_call_event(
  p_org uuid, p_call uuid, p_kind text, p_dedupe_key text, p_payload jsonb, p_occurred_at timestamptz
) returns boolean
language plpgsql security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('call_events:' || p_call::text, 0));
  insert into public.call_events (organization_id, call_id, kind, dedupe_key, payload, occurred_at)
  values (p_org, p_call, p_kind, p_dedupe_key, p_payload, coalesce(p_occurred_at, now()))
  on conflict (call_id, dedupe_key) do nothing
  returning id into v_id;
  return v_id is not null;
end
$$;
revoke all on function private.append_call_event(uuid, uuid, text, text, jsonb, timestamptz) from public;
grant execute on function private.append_call_event(uuid, uuid, text, text, jsonb, timestamptz) to service_role;

-- queued < initiated < ringing < in_progress < every final status; finals never change.
create function private.call_status_rank(p_status public.call_status) returns integer
language sql immutable
set search_path = ''
as $$
  select case p_status
    when 'queued' then 0 when 'initiated' then 1 when 'ringing' then 2 when 'in_progress' then 3
    else 4 end
$$;

create function private.advance_call_status(p_current public.call_status, p_incoming public.call_status)
returns public.call_status
language sql immutable
set search_path = ''
as $$
  select case
    when p_incoming is null or private.call_status_rank(p_current) = 4 then p_current
    when private.call_status_rank(p_incoming) > private.call_status_rank(p_current) then p_incoming
    else p_current end
$$;
grant execute on function private.call_status_rank(public.call_status), private.advance_call_status(public.call_status, public.call_status)
  to authenticated, service_role;

create function private.apply_status_report(
  p_call uuid,
  p_org uuid,                       -- null: the webhook knows only the call id in its URL
  p_call_sid text,
  p_provider_status text,           -- as the provider said it (part of the dedupe key)
  p_status public.call_status,      -- what it means for us; null when it moves nothing
  p_sequence text,
  p_occurred_at timestamptz,
  p_duration integer,
  p_kind text,                      -- provider.status | reconcile.status
  p_payload jsonb,
  p_match_sequence_less boolean     -- webhooks: a report with and without SequenceNumber is one report
) returns table (outcome text, status public.call_status)
language plpgsql security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_call public.calls%rowtype;
  v_prefix text := 'status:' || p_call_sid || ':' || p_provider_status || ':';
  v_next public.call_status;
  v_answered timestamptz;
  v_became_final boolean;
begin
  select * into v_call from public.calls c
  where c.id = p_call and (p_org is null or c.organization_id = p_org)
  for update;
  if not found then
    return query select 'not_found'::text, null::public.call_status;
    return;
  end if;
  if v_call.provider_call_sid is not null and v_call.provider_call_sid <> p_call_sid then
    return query select 'sid_mismatch'::text, v_call.status;
    return;
  end if;
  if v_call.provider_call_sid is null
     and exists (select 1 from public.calls o where o.provider_call_sid = p_call_sid and o.id <> p_call) then
    return query select 'sid_claimed'::text, v_call.status;
    return;
  end if;
  if p_match_sequence_less and exists (
    select 1 from public.call_events e
    where e.call_id = p_call and e.kind = 'provider.status'
      and case when p_sequence is null then starts_with(e.dedupe_key, v_prefix) else e.dedupe_key = v_prefix end
  ) then
    return query select 'duplicate'::text, v_call.status;
    return;
  end if;
  if not private.append_call_event(v_call.organization_id, p_call, p_kind, v_prefix || coalesce(p_sequence, ''), p_payload, p_occurred_at) then
    return query select 'duplicate'::text, v_call.status;
    return;
  end if;

  v_next := private.advance_call_status(v_call.status, p_status);
  v_became_final := private.call_status_rank(v_call.status) < 4 and private.call_status_rank(v_next) = 4;
  -- answered_at is the earliest "in progress" report whatever order reports come in.
  v_answered := case when p_status = 'in_progress' then coalesce(p_occurred_at, now()) end;
  update public.calls set
    status = v_next,
    provider_call_sid = coalesce(provider_call_sid, p_call_sid),
    answered_at = case when v_answered is null then answered_at else least(coalesce(answered_at, v_answered), v_answered) end,
    ended_at = case when v_became_final then coalesce(p_occurred_at, now()) else ended_at end,
    duration_seconds = case when v_became_final then p_duration else duration_seconds end,
    updated_at = now()
  where id = p_call and organization_id = v_call.organization_id;
  return query select 'stored'::text, v_next;
end
$$;
revoke all on function private.apply_status_report(uuid, uuid, text, text, public.call_status, text, timestamptz, integer, text, jsonb, boolean) from public;
grant execute on function private.apply_status_report(uuid, uuid, text, text, public.call_status, text, timestamptz, integer, text, jsonb, boolean) to service_role;
