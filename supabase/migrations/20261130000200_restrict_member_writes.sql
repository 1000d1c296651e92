-- Nobody becomes a member without accepting an invitation. Owners and admins used to insert
-- org_members rows directly; that path is gone: the only inserts now come from
-- private.accept_invitation (security definer) and the service path (seed, user:create).
-- Updates are narrowed to the role column, so an update can no longer move a membership to
-- another person or another organization (which would be an insert in disguise).
drop policy "Owners and admins can add members" on public.org_members;
revoke insert, update on public.org_members from authenticated;
grant update (role) on public.org_members to authenticated;
