-- Modulations as data: what each one needs turned on first, and the flows a call with it can
-- run in. Mirrors lib/calls/modulations.ts row for row; tests/integration/modulation-agreement
-- .test.ts fails when the two disagree. Enforced here by triggers, so no path (API, service
-- role, a hand-written insert) can store an incoherent combination: on voice_configs the
-- prerequisites (the default flow may differ per call), on calls the snapshot's prerequisites
-- and flow. Written only by migrations; no API role reads the tables (RLS on, no policies).
create table private.modulation_requires (
  modulation text not null,
  requires text not null,
  primary key (modulation, requires)
);
create table private.modulation_flows (
  modulation text not null,
  flow text not null check (flow in ('direct', 'bridge')),
  primary key (modulation, flow)
);
alter table private.modulation_requires enable row level security;
alter table private.modulation_flows enable row level security;

insert into private.modulation_requires (modulation, requires) values
  ('transcribe', 'record'),
  ('translate', 'transcribe');

insert into private.modulation_flows (modulation, flow) values
  ('record', 'direct'), ('record', 'bridge'),
  ('transcribe', 'direct'), ('transcribe', 'bridge'),
  ('translate', 'direct'), ('translate', 'bridge'),
  ('survey', 'direct'),
  ('shopperScript', 'direct');

-- The first rule the modulations in `p_on` break, as a sentence, or null. `p_flow` null checks
-- prerequisites only.
create function private.modulations_problem(p_on text[], p_flow text) returns text
language sql stable security definer
set search_path = ''
as $$
  select coalesce(
    (select format('%s needs %s', r.modulation, r.requires)
       from private.modulation_requires r
      where r.modulation = any (p_on) and not (r.requires = any (p_on))
      order by r.modulation, r.requires
      limit 1),
    (select format('%s does not run on %s calls', m.modulation, p_flow)
       from unnest(p_on) as m (modulation)
      where p_flow is not null
        and not exists (select 1 from private.modulation_flows f where f.modulation = m.modulation and f.flow = p_flow)
      order by m.modulation
      limit 1)
  )
$$;
revoke all on function private.modulations_problem(text[], text) from public;
grant execute on function private.modulations_problem(text[], text) to authenticated, service_role;

create function private.check_modulations() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  row_json jsonb := to_jsonb(new);
  on_list text[];
  flow text;
  problem text;
begin
  if tg_table_name = 'voice_configs' then
    on_list := array_remove(array[
      case when new.record then 'record' end,
      case when new.transcribe then 'transcribe' end,
      case when new.translate then 'translate' end,
      case when row_json -> 'survey' is not null and jsonb_typeof(row_json -> 'survey') <> 'null' then 'survey' end,
      case when row_json -> 'shopper_script' is not null and jsonb_typeof(row_json -> 'shopper_script') <> 'null' then 'shopperScript' end
    ], null);
    flow := null;
  else
    -- calls: the snapshot (calls.modulations) is what the call runs with.
    on_list := array_remove(array[
      case when (row_json #>> '{modulations,record}') = 'true' then 'record' end,
      case when (row_json #>> '{modulations,transcribe}') = 'true' then 'transcribe' end,
      case when jsonb_typeof(row_json #> '{modulations,translate}') = 'object' then 'translate' end,
      case when jsonb_typeof(row_json #> '{modulations,survey}') = 'object' then 'survey' end,
      case when jsonb_typeof(row_json #> '{modulations,shopperScript}') = 'object' then 'shopperScript' end
    ], null);
    flow := row_json ->> 'flow';
  end if;
  problem := private.modulations_problem(on_list, flow);
  if problem is not null then
    raise exception 'incoherent modulations: %', problem using errcode = 'check_violation';
  end if;
  return new;
end
$$;
revoke all on function private.check_modulations() from public;

create trigger voice_configs_coherent_modulations
  before insert or update on public.voice_configs
  for each row execute function private.check_modulations();

create trigger calls_coherent_modulations
  before insert on public.calls
  for each row execute function private.check_modulations();
