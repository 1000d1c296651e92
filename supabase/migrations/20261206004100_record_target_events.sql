-- Do-not-call marks and target imports in the organization's own changes (organization_events,
-- lib/orgs/audit.ts): who marked a target do-not-call, who cleared the mark, who imported how
-- many targets. The target row keeps only the latest setter (dnc_set_by, dnc_set_at); these
-- entries keep every change, append-only, for as long as the organization exists.
--
-- The same one writing function, redefined with the new kinds and who may write them: marking
-- takes target.dnc, clearing and importing take target.write (lib/rbac/policy.ts).
alter table public.organization_events drop constraint organization_events_kind_check;
alter table public.organization_events add constraint organization_events_kind_check check (kind in (
  'voice_config.updated', 'member.role_changed', 'member.removed',
  'invitation.created', 'invitation.revoked', 'invitation.accepted',
  'target.dnc_set', 'target.dnc_cleared', 'targets.imported'
));

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
        when 'target.dnc_set' then private.can(p_org, 'target.dnc')
        when 'target.dnc_cleared' then private.can(p_org, 'target.write')
        when 'targets.imported' then private.can(p_org, 'target.write')
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
