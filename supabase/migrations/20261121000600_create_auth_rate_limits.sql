-- Counters for the local sign-in rate limit (rate-limiter-flexible's Postgres store, table
-- layout as that library defines it). Written only by the service path during sign-in; no
-- API role has a policy, so RLS denies everyone else.
create table private.auth_rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);
alter table private.auth_rate_limits enable row level security;
grant select, insert, update, delete on private.auth_rate_limits to service_role;
