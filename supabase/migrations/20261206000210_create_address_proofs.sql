-- Proofs of an email address, for the embedded default's local accounts (docs/adr/0027). Someone
-- asked for a link to set the password of the account that uses `email`; the link went to that
-- address only (SMTP, or the embedded default's outbox), so whoever opens it has shown that they
-- read mail sent there, and may set the account's password: every session of the account ends.
-- `user_id` is the account that used the address when the link was asked for, null when none did
-- (the request is answered, and a message sent, the same way either way; that message holds no
-- link). Only the SHA-256 of the 32-byte token is stored; each proof works once, for an hour.
-- Written only by lib/auth/address-proofs.ts through the service path. No API role has a policy:
-- RLS denies everyone else. Unused in Supabase mode, where Supabase Auth proves addresses.
create table private.address_proofs (
  id uuid primary key default gen_random_uuid(),
  email text not null check (email = lower(email) and length(email) between 3 and 255),
  user_id uuid references auth.users (id) on delete cascade,
  token_hash bytea not null unique check (length(token_hash) = 32),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '1 hour',
  used_at timestamptz
);
create index address_proofs_open_user_idx on private.address_proofs (user_id) where used_at is null;
create index address_proofs_email_idx on private.address_proofs (email, expires_at);
alter table private.address_proofs enable row level security;
grant select, insert, update, delete on private.address_proofs to service_role;
