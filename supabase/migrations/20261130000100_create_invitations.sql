-- Invitations: the only way into an organization. An owner or admin invites an email with a
-- role; the invitee joins by accepting (private.accept_invitation, its own migration). Only the
-- SHA-256 of the 32-byte random token is stored; the token itself exists only in the link.
-- Written by lib/orgs/invitations.ts (create, revoke, as the inviter) and by the accept
-- function (accepted_at). Rows are never deleted by an API role: revoked and accepted rows are
-- the record of who was let in, by whom.
create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email = lower(email) and length(email) between 3 and 255),
  role public.member_role not null,
  token_hash bytea not null unique check (length(token_hash) = 32),
  invited_by uuid not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid,
  revoked_at timestamptz,
  revoked_by uuid,
  check (accepted_at is null or revoked_at is null),
  check ((accepted_at is null) = (accepted_by is null)),
  check ((revoked_at is null) = (revoked_by is null))
);
alter table public.invitations enable row level security;

-- One open invitation per email and organization: inviting again replaces the previous one.
create unique index invitations_open_email_idx on public.invitations (organization_id, email)
  where accepted_at is null and revoked_at is null;

revoke all on public.invitations from anon, authenticated;
grant select, insert on public.invitations to authenticated;
-- Revoking is the only change an API role makes; every other column is fixed at creation.
grant update (revoked_at, revoked_by) on public.invitations to authenticated;
grant all on public.invitations to service_role;

create policy "Owners and admins can read their organization's invitations"
  on public.invitations for select to authenticated
  using ((select private.can(organization_id, 'members.manage')));

-- Only an owner may invite an owner, as only an owner may make one.
create policy "Owners and admins can invite, and only owners invite owners"
  on public.invitations for insert to authenticated
  with check (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
    and invited_by = (select auth.uid())
    and accepted_at is null
    and revoked_at is null
    and expires_at <= now() + interval '7 days'
  );

create policy "Owners and admins can revoke their organization's open invitations"
  on public.invitations for update to authenticated
  using (
    (select private.can(organization_id, 'members.manage'))
    and accepted_at is null
    and revoked_at is null
  )
  with check (
    (select private.can(organization_id, 'members.manage'))
    and accepted_at is null
    and revoked_by = (select auth.uid())
  );
