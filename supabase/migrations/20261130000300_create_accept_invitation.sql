-- Accepting an invitation: one security definer function, the only path by which a signed-in
-- person becomes a member. In one transaction it locks the invitation found by token hash,
-- checks that it is open (not accepted, not revoked, not expired) and addressed to the caller's
-- verified email (the session's `email` claim, case-insensitive), inserts the membership and
-- marks the invitation accepted. The row lock makes it single use under concurrent accepts:
-- the second caller waits, then sees accepted_at and is refused.
-- Answers an outcome instead of raising, so callers can say precisely why, and nothing is
-- written unless the outcome is 'accepted'.
create function private.accept_invitation(p_token_hash bytea)
returns table (outcome text, organization_id uuid, role public.member_role)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_email text := lower(nullif((select auth.jwt()) ->> 'email', ''));
  v_inv public.invitations%rowtype;
begin
  if v_uid is null or v_email is null then
    return query select 'unauthenticated'::text, null::uuid, null::public.member_role;
    return;
  end if;

  select * into v_inv from public.invitations i where i.token_hash = p_token_hash for update;
  if not found then
    return query select 'not_found'::text, null::uuid, null::public.member_role;
    return;
  end if;
  if v_inv.accepted_at is not null then
    return query select 'used'::text, null::uuid, null::public.member_role;
    return;
  end if;
  if v_inv.revoked_at is not null then
    return query select 'revoked'::text, null::uuid, null::public.member_role;
    return;
  end if;
  if v_inv.expires_at <= now() then
    return query select 'expired'::text, null::uuid, null::public.member_role;
    return;
  end if;
  if v_inv.email <> v_email then
    return query select 'wrong_email'::text, null::uuid, null::public.member_role;
    return;
  end if;

  insert into public.org_members (organization_id, user_id, role)
  values (v_inv.organization_id, v_uid, v_inv.role)
  on conflict do nothing;
  if not found then
    return query select 'already_member'::text, v_inv.organization_id, null::public.member_role;
    return;
  end if;

  update public.invitations
  set accepted_at = now(), accepted_by = v_uid
  where id = v_inv.id;

  return query select 'accepted'::text, v_inv.organization_id, v_inv.role;
end
$$;

revoke all on function private.accept_invitation(bytea) from public;
grant execute on function private.accept_invitation(bytea) to authenticated;
