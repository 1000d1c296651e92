-- The dialling pace of each campaign, shared by every worker process (lib/campaigns/pace.ts):
-- when its next dial may be granted (`next_at`, on the database's clock, so the workers' own
-- clocks never matter) and when its last one was. A token bucket of one token refilled every
-- 1/N seconds: the one bucket that never lets any 1-second window hold more than N dials
-- (docs/adr/0034). A row per campaign, made by its first dial. The campaigns table comes later;
-- its foreign key will cascade here.
--
-- Written only by lib/campaigns/pace.ts on the service path; no API role has a policy, so RLS
-- denies everyone else. Logged, unlike private.rate_limits: losing `next_at` in a crash could let
-- one dial come sooner than the pace allows, and a handful of writes a second costs nothing.
create table private.campaign_pace (
  campaign_id uuid primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- Null until the campaign's first dial.
  next_at timestamptz,
  last_granted_at timestamptz
);
alter table private.campaign_pace enable row level security;
create index campaign_pace_organization on private.campaign_pace (organization_id);

revoke all on private.campaign_pace from anon, authenticated, service_role;
grant select, insert, update on private.campaign_pace to service_role;
