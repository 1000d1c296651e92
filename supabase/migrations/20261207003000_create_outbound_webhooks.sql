-- Outbound webhooks (issue 21, docs/adr/0039): an organization's endpoints, their signing
-- secrets, the events that happened (the outbox), one delivery per event and endpoint, and
-- every attempt at it.
--
-- Who may do what is the policy table's (lib/rbac/policy.ts, the same cell below):
--   webhooks.manage  owners and admins, every plan: add, change, disable and delete endpoints,
--                    rotate secrets, read the delivery log and replay a delivery. The log shows
--                    where the organization's data goes and what its receivers answered, which
--                    is configuration, not content: the roles that configure read it.
--
-- Writers (docs/adr/0012):
--   webhook_endpoints, webhook_endpoint_secrets  lib/outbound/endpoints.ts, as the member under
--                    RLS (the delivery job disables an endpoint through the same module);
--   webhook_events, webhook_deliveries (insert)  private.emit_webhook_event below, called by the
--                    triggers of 20261207003100 in the transaction of each fact, and by any
--                    domain that emits directly (lib/outbound/events.ts);
--   webhook_deliveries (update), webhook_delivery_attempts  lib/outbound/deliver.ts, on the
--                    service path; a replay re-arms a delivery through
--                    private.replay_webhook_delivery.

insert into private.action_plans (action, min_plan) values ('webhooks.manage', 'base');
insert into private.permissions (action, role) values ('webhooks.manage', 'owner'), ('webhooks.manage', 'admin');

create function private.webhook_event_types() returns text[]
language sql immutable
set search_path = ''
as $$
  select array['call.completed', 'artifact.stored', 'manifest.sealed', 'campaign.completed', 'export.ready', 'retention.deleted']
$$;
revoke all on function private.webhook_event_types() from public;
grant execute on function private.webhook_event_types() to authenticated, service_role;

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- Checked by lib/outbound/url-policy.ts before it is stored, and again before every delivery.
  url text not null check (length(url) between 8 and 2048),
  description text not null default '' check (length(description) <= 500),
  event_types text[] not null check (cardinality(event_types) between 1 and 6 and event_types <@ private.webhook_event_types()),
  enabled boolean not null default true,
  -- Why it is off: the member who turned it off, or the delivery that gave up.
  disabled_reason text check (length(disabled_reason) <= 2000),
  disabled_at timestamptz,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, id),
  check (enabled = (disabled_reason is null)),
  check (enabled = (disabled_at is null))
);
alter table public.webhook_endpoints enable row level security;
create index webhook_endpoints_org_idx on public.webhook_endpoints (organization_id, created_at);

revoke all on public.webhook_endpoints from anon, authenticated, service_role;
grant select, insert, update, delete on public.webhook_endpoints to authenticated;
grant select, update on public.webhook_endpoints to service_role;

create policy "Owners and admins can read their organization's webhook endpoints"
  on public.webhook_endpoints for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));
create policy "Owners and admins can add webhook endpoints as themselves"
  on public.webhook_endpoints for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]) and created_by = (select auth.uid()));
create policy "Owners and admins can change their organization's webhook endpoints"
  on public.webhook_endpoints for update to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]))
  with check (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));
create policy "Owners and admins can delete their organization's webhook endpoints"
  on public.webhook_endpoints for delete to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));

-- Signing secrets, sealed (AES-256-GCM) under a key that is not in the database
-- (WEBHOOK_SECRETS_KEY, or the embedded default's key file): a dump alone does not reveal
-- them. A rotation adds a secret and gives the older ones an end; until it passes, deliveries
-- carry a signature by each. Nobody reads `sealed` but the service path: members never get
-- the column (column grants), so a secret is shown once, when it is made, and never again.
create table public.webhook_endpoint_secrets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  endpoint_id uuid not null,
  sealed text not null check (length(sealed) between 20 and 400),
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  foreign key (organization_id, endpoint_id) references public.webhook_endpoints (organization_id, id) on delete cascade
);
alter table public.webhook_endpoint_secrets enable row level security;
create index webhook_endpoint_secrets_endpoint_idx on public.webhook_endpoint_secrets (endpoint_id, created_at desc);

revoke all on public.webhook_endpoint_secrets from anon, authenticated, service_role;
grant select (id, organization_id, endpoint_id, created_at, expires_at) on public.webhook_endpoint_secrets to authenticated;
grant insert (organization_id, endpoint_id, sealed) on public.webhook_endpoint_secrets to authenticated;
grant update (expires_at) on public.webhook_endpoint_secrets to authenticated;
grant select on public.webhook_endpoint_secrets to service_role;

create policy "Owners and admins can see when their endpoints' secrets were made and end"
  on public.webhook_endpoint_secrets for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));
create policy "Owners and admins can add secrets to their organization's endpoints"
  on public.webhook_endpoint_secrets for insert to authenticated
  with check (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));
create policy "Owners and admins can end their organization's older secrets"
  on public.webhook_endpoint_secrets for update to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]))
  with check (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));

-- The outbox: one row per event, written in the transaction of the fact it reports. `dedupe`
-- makes a repeated fact (a trigger firing twice, a retried job) one event.
create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  type text not null check (type = any (private.webhook_event_types())),
  data jsonb not null check (jsonb_typeof(data) = 'object'),
  dedupe text not null check (length(dedupe) between 1 and 300),
  occurred_at timestamptz not null default now(),
  unique (organization_id, id),
  unique (organization_id, type, dedupe)
);
alter table public.webhook_events enable row level security;
create index webhook_events_org_idx on public.webhook_events (organization_id, occurred_at desc);

revoke all on public.webhook_events from anon, authenticated, service_role;
grant select on public.webhook_events to authenticated;
grant select on public.webhook_events to service_role;

create policy "Owners and admins can read their organization's outbound events"
  on public.webhook_events for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));

-- One delivery per event and endpoint. Its id is the webhook-id every attempt and every
-- replay sends, so a receiver deduplicates on it.
create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  event_id uuid not null,
  endpoint_id uuid not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz,
  last_status integer,
  last_error text check (length(last_error) <= 2000),
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (event_id, endpoint_id),
  foreign key (organization_id, event_id) references public.webhook_events (organization_id, id) on delete cascade,
  foreign key (organization_id, endpoint_id) references public.webhook_endpoints (organization_id, id) on delete cascade,
  check ((status = 'pending') = (finished_at is null))
);
alter table public.webhook_deliveries enable row level security;
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (organization_id, endpoint_id, created_at desc);

revoke all on public.webhook_deliveries from anon, authenticated, service_role;
grant select on public.webhook_deliveries to authenticated;
grant select, update on public.webhook_deliveries to service_role;

create policy "Owners and admins can read their organization's webhook deliveries"
  on public.webhook_deliveries for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));

-- Every attempt: when, how long, what the receiver answered or why it could not be reached.
create table public.webhook_delivery_attempts (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  delivery_id uuid not null,
  attempt integer not null check (attempt >= 1),
  started_at timestamptz not null,
  latency_ms integer not null check (latency_ms >= 0),
  status_code integer check (status_code between 100 and 599),
  error text check (length(error) <= 2000),
  replay boolean not null default false,
  unique (delivery_id, attempt),
  foreign key (delivery_id) references public.webhook_deliveries (id) on delete cascade
);
alter table public.webhook_delivery_attempts enable row level security;
create index webhook_delivery_attempts_delivery_idx on public.webhook_delivery_attempts (delivery_id, attempt);

revoke all on public.webhook_delivery_attempts from anon, authenticated, service_role;
grant select on public.webhook_delivery_attempts to authenticated;
grant select, insert on public.webhook_delivery_attempts to service_role;

create policy "Owners and admins can read their organization's delivery attempts"
  on public.webhook_delivery_attempts for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('webhooks.manage'))::uuid[]));

-- Emit an event: store it once (per organization, type and dedupe key), then one delivery per
-- enabled endpoint subscribed to its type, each with its job, all in the caller's transaction.
-- Returns the event's id, or null when that fact was already emitted. Service path only: a
-- trigger (security definer) or a domain on asService calls it; a member cannot forge events.
create function private.emit_webhook_event(p_org uuid, p_type text, p_data jsonb, p_dedupe text)
returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  v_event uuid;
  v_delivery uuid;
begin
  -- Nobody listening, nothing kept: an organization without a subscribed, enabled endpoint pays
  -- one index probe per fact, and the outbox does not grow with every call it ever placed.
  if not exists (select 1 from public.webhook_endpoints e
                 where e.organization_id = p_org and e.enabled and p_type = any (e.event_types)) then
    return null;
  end if;
  insert into public.webhook_events (organization_id, type, data, dedupe)
  values (p_org, p_type, p_data, p_dedupe)
  on conflict (organization_id, type, dedupe) do nothing
  returning id into v_event;
  if v_event is null then
    return null;
  end if;
  for v_delivery in
    insert into public.webhook_deliveries (organization_id, event_id, endpoint_id, next_attempt_at)
    select p_org, v_event, e.id, now()
    from public.webhook_endpoints e
    where e.organization_id = p_org and e.enabled and p_type = any (e.event_types)
    returning id
  loop
    perform private.enqueue_job(
      p_task => 'deliver_webhook',
      p_payload => jsonb_build_object('orgId', p_org, 'deliveryId', v_delivery),
      p_job_key => 'deliver_webhook:' || v_delivery::text,
      p_max_attempts => 5
    );
  end loop;
  return v_event;
end
$$;
revoke all on function private.emit_webhook_event(uuid, text, jsonb, text) from public;
grant execute on function private.emit_webhook_event(uuid, text, jsonb, text) to service_role;

-- Replay (owners and admins): the same delivery, the same webhook-id, tried once more now,
-- whether it was delivered or failed, even to an endpoint turned off since (the member asked).
-- 'not_found' for another organization's delivery or one the caller may not manage;
-- 'pending' when it is still being tried (its next attempt is already queued).
create function private.replay_webhook_delivery(p_delivery uuid) returns text
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org uuid;
  v_status text;
begin
  select d.organization_id, d.status into v_org, v_status from public.webhook_deliveries d where d.id = p_delivery for update;
  if v_org is null or not private.can(v_org, 'webhooks.manage') then
    return 'not_found';
  end if;
  if v_status = 'pending' then
    return 'pending';
  end if;
  update public.webhook_deliveries
     set status = 'pending', next_attempt_at = now(), finished_at = null
   where id = p_delivery;
  perform private.enqueue_job(
    p_task => 'deliver_webhook',
    p_payload => jsonb_build_object('orgId', v_org, 'deliveryId', p_delivery, 'replay', true),
    p_job_key => 'deliver_webhook:' || p_delivery::text,
    p_max_attempts => 5
  );
  return 'replayed';
end
$$;
revoke all on function private.replay_webhook_delivery(uuid) from public;
grant execute on function private.replay_webhook_delivery(uuid) to authenticated;
