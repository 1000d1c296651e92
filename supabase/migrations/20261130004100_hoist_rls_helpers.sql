-- RLS helpers evaluated once per statement, not once per row. The policies wrapped their
-- helper calls in (select …), but passed the row's own organization_id in, which makes the
-- subquery correlated: Postgres ran it as a SubPlan for every row (3,000 helper calls to count
-- 3,000 calls). These helpers take no row argument and return the set of organizations where
-- the caller qualifies, so `(select …)` is an InitPlan, run once; the per-row test is a cheap
-- `= any(array)` that an index on organization_id can also serve. (The `::uuid[]` cast keeps
-- `any ((select …))` an array expression; without it Postgres reads `any (subquery)`.)
--
-- Same names and same meaning as before:
--   private.is_member(org)              ⇔ org = any (private.member_org_ids())
--   private.can(org, action)            ⇔ org = any (private.org_ids_allowing(action))
--   private.member_role(org) = 'owner'  ⇔ org = any (private.org_ids_with_role('owner'))
-- Accepted exception: the voice config insert/update checks pass the row itself to
-- private.voice_config_allowed (which modulations it turns on decides what is needed); a
-- with-check runs once per written row, and these writes are one row at a time.

create function private.member_org_ids() returns uuid[]
language sql stable security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.organization_id), '{}')
  from public.org_members m
  where m.user_id = (select auth.uid())
$$;

create function private.org_ids_allowing(p_action text) returns uuid[]
language sql stable security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.organization_id), '{}')
  from public.org_members m
  join public.organizations o on o.id = m.organization_id
  where m.user_id = (select auth.uid())
    and private.allows(m.role, o.plan, p_action)
$$;

create function private.org_ids_with_role(p_role public.member_role) returns uuid[]
language sql stable security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.organization_id), '{}')
  from public.org_members m
  where m.user_id = (select auth.uid()) and m.role = p_role
$$;

revoke all on function private.member_org_ids(), private.org_ids_allowing(text), private.org_ids_with_role(public.member_role) from public;
grant execute on function private.member_org_ids(), private.org_ids_allowing(text), private.org_ids_with_role(public.member_role)
  to authenticated, service_role;

-- organizations, org_members
drop policy "Members can read their organizations" on public.organizations;
create policy "Members can read their organizations"
  on public.organizations for select to authenticated
  using (id = any ((select private.member_org_ids())::uuid[]));

drop policy "Members can read their organization's members" on public.org_members;
create policy "Members can read their organization's members"
  on public.org_members for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

drop policy "Owners and admins can change members' roles" on public.org_members;
create policy "Owners and admins can change members' roles"
  on public.org_members for update to authenticated
  using (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and (role <> 'owner' or organization_id = any ((select private.org_ids_with_role('owner'))::uuid[]))
  )
  with check (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and (role <> 'owner' or organization_id = any ((select private.org_ids_with_role('owner'))::uuid[]))
  );

drop policy "Owners and admins can remove members" on public.org_members;
create policy "Owners and admins can remove members"
  on public.org_members for delete to authenticated
  using (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and (role <> 'owner' or organization_id = any ((select private.org_ids_with_role('owner'))::uuid[]))
  );

-- voice_configs (the with-checks on the row stay: see above)
drop policy "Members can read their organization's voice config" on public.voice_configs;
create policy "Members can read their organization's voice config"
  on public.voice_configs for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

drop policy "Owners and admins can change the voice config within their plan" on public.voice_configs;
create policy "Owners and admins can change the voice config within their plan"
  on public.voice_configs for update to authenticated
  using (organization_id = any ((select private.org_ids_allowing('voice_config.update'))::uuid[]))
  with check (private.voice_config_allowed(voice_configs));

-- calls, call_events
drop policy "Members can read their organization's calls" on public.calls;
create policy "Members can read their organization's calls"
  on public.calls for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

drop policy "Operators, admins and owners can place calls as themselves" on public.calls;
create policy "Operators, admins and owners can place calls as themselves"
  on public.calls for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('calls.place'))::uuid[])
    and created_by = (select auth.uid())
    and status = 'queued'
    and provider_call_sid is null
  );

drop policy "Members can read their organization's call events" on public.call_events;
create policy "Members can read their organization's call events"
  on public.call_events for select to authenticated
  using (organization_id = any ((select private.member_org_ids())::uuid[]));

-- recordings, survey answers
drop policy "Members who may play recordings can read their organization's recordings" on public.recordings;
create policy "Members who may play recordings can read their organization's recordings"
  on public.recordings for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('recording.play'))::uuid[]));

drop policy "Members who may read survey results can read their organization's answers" on public.survey_answers;
create policy "Members who may read survey results can read their organization's answers"
  on public.survey_answers for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('survey.read'))::uuid[]));

-- invitations
drop policy "Owners and admins can read their organization's invitations" on public.invitations;
create policy "Owners and admins can read their organization's invitations"
  on public.invitations for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[]));

drop policy "Owners and admins can invite, and only owners invite owners" on public.invitations;
create policy "Owners and admins can invite, and only owners invite owners"
  on public.invitations for insert to authenticated
  with check (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and (role <> 'owner' or organization_id = any ((select private.org_ids_with_role('owner'))::uuid[]))
    and invited_by = (select auth.uid())
    and accepted_at is null
    and revoked_at is null
    and expires_at <= now() + interval '7 days'
  );

drop policy "Owners and admins can revoke their organization's open invitations" on public.invitations;
create policy "Owners and admins can revoke their organization's open invitations"
  on public.invitations for update to authenticated
  using (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and accepted_at is null
    and revoked_at is null
  )
  with check (
    organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[])
    and accepted_at is null
    and revoked_by = (select auth.uid())
  );

-- user_preferences (the auth.uid() checks were already hoisted; the membership check was not)
drop policy "People can create their own preferences, choosing only their organizations" on public.user_preferences;
create policy "People can create their own preferences, choosing only their organizations"
  on public.user_preferences for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (active_organization_id is null or active_organization_id = any ((select private.member_org_ids())::uuid[]))
  );

drop policy "People can change their own preferences, choosing only their organizations" on public.user_preferences;
create policy "People can change their own preferences, choosing only their organizations"
  on public.user_preferences for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and (active_organization_id is null or active_organization_id = any ((select private.member_org_ids())::uuid[]))
  );

-- Supabase Realtime: the policy on realtime.messages already passes realtime.topic(), not a
-- row column, so its (select private.is_member(…)) is an InitPlan; it stays as it is.
