-- Who may write which entry of an organization's activity feed, checked where it is written.
-- The first version let any member write into any organization a `member.removed` naming
-- themselves, and a transaction without a `sub` claim write anything anywhere (it took a null
-- actor for the service path). Now: the service path is the `service_role` role itself; any
-- other caller needs a signed-in actor who holds, in that organization, the authority the entry
-- records (the voice configuration's for its changes, member management's for roles, removals
-- and invitations; a member's change of their own role, made just before), or who has just
-- joined it (their own `invitation.accepted`). A removal is recorded before the membership goes.
create or replace function private.append_organization_event(p_org uuid, p_kind text, p_subject text, p_payload jsonb)
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_id bigint;
begin
  if current_setting('role', true) is distinct from 'service_role' then
    if v_uid is null then
      raise exception 'an activity entry needs a signed-in actor' using errcode = 'insufficient_privilege';
    end if;
    if not coalesce(case p_kind
        when 'voice_config.updated' then private.can(p_org, 'voice_config.update')
        -- A manager who has just demoted themselves no longer manages members: their own change.
        when 'member.role_changed' then private.can(p_org, 'members.manage') or (p_subject = v_uid::text and private.is_member(p_org))
        when 'member.removed' then private.can(p_org, 'members.manage')
        when 'invitation.created' then private.can(p_org, 'members.manage')
        when 'invitation.revoked' then private.can(p_org, 'members.manage')
        when 'invitation.accepted' then private.is_member(p_org) and p_subject = v_uid::text
        else false
      end, false) then
      raise exception 'not allowed to record % in organization %', p_kind, p_org using errcode = 'insufficient_privilege';
    end if;
  end if;
  insert into public.organization_events (organization_id, actor_user_id, kind, subject, payload)
  values (p_org, v_uid, p_kind, p_subject, p_payload)
  returning id into v_id;
  return v_id;
end
$$;
revoke all on function private.append_organization_event(uuid, text, text, jsonb) from public;
grant execute on function private.append_organization_event(uuid, text, text, jsonb) to authenticated, service_role;
