-- Live updates for the Voice Operations page. Every change to calls, call events and
-- recordings announces `{ org, topic, callId }` (ids only, never content):
--   * with pg_notify on channel `verbatim_realtime`, which the SSE adapter LISTENs to and
--     filters by the subscriber's organization (embedded default);
--   * with realtime.send to the private topic `org:<id>` when Supabase Realtime is present;
--     the policy at the end lets only that organization's members receive it.
create function private.announce_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  -- Through jsonb: plpgsql would reject `new.call_id` on the calls table even in an untaken branch.
  row_json jsonb := to_jsonb(new);
  payload jsonb := jsonb_build_object(
    'org', new.organization_id,
    'topic', tg_argv[0],
    'callId', case when tg_table_name = 'calls' then row_json ->> 'id' else row_json ->> 'call_id' end
  );
begin
  perform pg_notify('verbatim_realtime', payload::text);
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null then
    execute 'select realtime.send($1, $2, $3, true)' using payload, tg_argv[0], 'org:' || new.organization_id;
  end if;
  return null;
end
$$;

create trigger calls_announce after insert or update on public.calls
  for each row execute function private.announce_change('calls');
create trigger call_events_announce after insert on public.call_events
  for each row execute function private.announce_change('calls');
create trigger recordings_announce after insert or update on public.recordings
  for each row execute function private.announce_change('calls');

-- Supabase Realtime private channels are authorized by RLS on realtime.messages.
do $$
begin
  if to_regclass('realtime.messages') is not null then
    execute $policy$
      create policy "Members can receive their organization's live updates"
        on realtime.messages for select to authenticated
        using (
          realtime.topic() like 'org:%'
          and (select private.is_member(substring(realtime.topic() from 5)::uuid))
        )
    $policy$;
  end if;
end
$$;
