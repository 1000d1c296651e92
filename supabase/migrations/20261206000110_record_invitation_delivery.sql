-- Whether an invitation's link reached the invited address itself. The embedded default without
-- SMTP hands the link to the inviter, so whoever accepts it has proven nothing about the address;
-- a link that only went to the address (mailed, or handed to whoever has just proven the address,
-- docs/adr/0027) does prove it. `delivered_at` is set by lib/orgs/invitations.ts on the service
-- path once that has happened; null means only the inviter was given the link. The inviter cannot
-- claim it: the insert policy (as hoisted in 20261130004100) now also requires it null, and their update grant still covers only
-- `revoked_at` and `revoked_by`.
alter table public.invitations add column delivered_at timestamptz;

alter policy "Owners and admins can invite, and only owners invite owners"
  on public.invitations
  with check (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and (role <> 'owner' or organization_id = any ((select private.org_ids_with_role('owner'))::uuid[]))
    and invited_by = (select auth.uid())
    and accepted_at is null
    and revoked_at is null
    and delivered_at is null
    and expires_at <= now() + interval '7 days'
  );
