-- Whether an invitation's link reached the invited address itself. The embedded default without
-- SMTP hands the link to the inviter, so whoever accepts it has proven nothing about the address;
-- a link that only went to the address (mailed, or handed to whoever has just proven the address,
-- docs/adr/0027) does prove it. `delivered_at` is set by lib/orgs/invitations.ts on the service
-- path once that has happened; null means only the inviter was given the link. The inviter cannot
-- claim it: the insert policy now requires it null, and their update grant still covers only
-- `revoked_at` and `revoked_by`.
alter table public.invitations add column delivered_at timestamptz;

alter policy "Owners and admins can invite, and only owners invite owners"
  on public.invitations
  with check (
    (select private.can(organization_id, 'members.manage'))
    and (role <> 'owner' or (select private.member_role(organization_id)) = 'owner')
    and invited_by = (select auth.uid())
    and accepted_at is null
    and revoked_at is null
    and delivered_at is null
    and expires_at <= now() + interval '7 days'
  );
