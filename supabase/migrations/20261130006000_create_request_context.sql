-- A member request's context in its transaction's first statement (lib/db/index.ts
-- `withRequest`): whether the session is still live, and the caller's membership in the
-- organization the request acts on, with what the 409 needs when there is none.
--
-- Called in the same statement that sets the caller's claims (before it, in target-list
-- order) and the role (after it), so auth.uid() is the caller's. Security definer: it reads
-- auth.sessions (the session's revocation check, which the token's signature alone cannot
-- make) and the caller's own memberships and stored choice. Returns null when the session is
-- gone or expired (the request then answers 401, as when the cookie is missing); p_session
-- null skips that check, for adapters that made it already (Supabase asks its Auth server).
--
-- The organization is p_org when given (the x-organization-id header, or the route's own);
-- else the stored choice (public.user_preferences) while the caller is a member there; else
-- the only membership. `membership` is null when there is none; `memberships` lists them all
-- (by name, as the page's switcher shows them).
create function private.request_context(p_session uuid, p_org uuid) returns jsonb
language sql volatile security definer
set search_path = ''
as $$
  with me as (
    select auth.uid() as uid
  ), live as (
    select me.uid from me
    where me.uid is not null
      and (p_session is null or exists (
        select from auth.sessions s where s.id = p_session and s.user_id = me.uid and s.not_after > now()))
  ), mine as (
    select o.id, o.name, o.plan::text as plan, m.role::text as role, m.user_id
    from live join public.org_members m on m.user_id = live.uid
    join public.organizations o on o.id = m.organization_id
  ), stored as (
    select p.active_organization_id as id from live join public.user_preferences p on p.user_id = live.uid
  ), chosen as (
    select mine.* from mine
    where mine.id = coalesce(
      p_org,
      (select stored.id from stored where stored.id in (select id from mine)),
      (select id from mine where (select count(*) from mine) = 1))
  )
  select jsonb_build_object(
    'memberships', coalesce((select jsonb_agg(jsonb_build_object('orgId', m.id, 'orgName', m.name, 'plan', m.plan, 'role', m.role, 'userId', m.user_id)
                             order by m.name, m.id) from mine m), '[]'::jsonb),
    'membership', (select jsonb_build_object('orgId', c.id, 'orgName', c.name, 'plan', c.plan, 'role', c.role, 'userId', c.user_id) from chosen c))
  from live
$$;
revoke all on function private.request_context(uuid, uuid) from public;
