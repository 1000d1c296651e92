-- Status reports that arrive together are applied together: one statement (one transaction,
-- one commit) for the reports a busy server has in hand at once, instead of one each. Each
-- report is applied exactly as private.apply_status_report applies it alone, in arrival order
-- for any one call; the calls are taken in id order so two batches never lock the same calls in
-- opposite orders. Returns one row per report, by its 1-based position in the array.
create function private.apply_status_reports(p_reports jsonb)
returns table (ordinal integer, outcome text, status public.call_status)
language plpgsql security definer
set search_path = ''
as $$
declare
  r record;
begin
  for r in
    select x.ordinality::integer as n, x.value as v
    from jsonb_array_elements(p_reports) with ordinality as x(value, ordinality)
    order by (x.value ->> 'callId')::uuid, x.ordinality
  loop
    return query
      select r.n, a.outcome, a.status
      from private.apply_status_report(
        (r.v ->> 'callId')::uuid, (r.v ->> 'orgId')::uuid, r.v ->> 'callSid', r.v ->> 'providerStatus',
        (r.v ->> 'status')::public.call_status, r.v ->> 'sequence', (r.v ->> 'occurredAt')::timestamptz,
        (r.v ->> 'durationSeconds')::integer, r.v ->> 'kind', r.v -> 'payload', (r.v ->> 'matchSequenceLess')::boolean) a;
  end loop;
end
$$;
revoke all on function private.apply_status_reports(jsonb) from public;
grant execute on function private.apply_status_reports(jsonb) to service_role;
