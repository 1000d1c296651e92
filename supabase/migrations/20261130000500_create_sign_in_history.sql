-- Where each email has signed in successfully, and when last: an address from which an
-- account's owner recently signed in is exempt from the per-email failure limit, so a third
-- party cannot lock the owner out by failing sign-ins for that email from elsewhere.
-- Written only by the sign-in limiter through the service path; keyed by hashes (sha256 of the
-- lowercased email, and of the address), so the table lists no addresses or emails in clear.
-- No API role has a policy: RLS denies everyone else.
create table private.sign_in_history (
  email_hash text not null,
  ip_hash text not null,
  last_success_at timestamptz not null default now(),
  primary key (email_hash, ip_hash)
);
create index sign_in_history_last_success_at on private.sign_in_history (last_success_at);
alter table private.sign_in_history enable row level security;
grant select, insert, update, delete on private.sign_in_history to service_role;
