-- Counters of the request limits every app process shares (lib/rate-limits): webhooks per source
-- address, failed verifications per address, callbacks per call or transcript, member API
-- requests per user. rate-limiter-flexible's Postgres store layout (key = "<limit>:<subject>",
-- points used in the window, expire in epoch milliseconds). Written only by lib/rate-limits on
-- its own connections; no API role has a policy, so RLS denies everyone else.
--
-- Unlogged: these counts are written on every webhook and member request and are worth nothing
-- after a crash of the database (a window lasts at most an hour), so they skip the WAL. The
-- sign-in counters, which must survive one, stay in private.auth_rate_limits.
create unlogged table private.rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);
alter table private.rate_limits enable row level security;
grant select, insert, update, delete on private.rate_limits to service_role;
