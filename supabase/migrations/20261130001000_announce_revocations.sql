-- Live streams end when what authorized them ends. The SSE hub (lib/realtime/sse-hub.ts) holds
-- each stream open under a session and a membership; these triggers tell it, on the realtime
-- channel, when either goes away, so the stream closes within moments instead of at its next
-- reconnect:
--   * a removed membership: `{ revoke: "member", org, user }`;
--   * a local session deleted (sign-out, or its user deleted): `{ revoke: "session", session, user }`.
-- The notices carry ids only. auth.sessions belongs to Supabase Auth on hosted projects, which
-- use Supabase Realtime instead of the hub, so the session trigger is created on plain Postgres only.
create function private.announce_revocation() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'org_members' then
    perform pg_notify('verbatim_realtime',
      jsonb_build_object('revoke', 'member', 'org', old.organization_id, 'user', old.user_id)::text);
  else
    perform pg_notify('verbatim_realtime',
      jsonb_build_object('revoke', 'session', 'session', (to_jsonb(old) ->> 'id'), 'user', (to_jsonb(old) ->> 'user_id'))::text);
  end if;
  return null;
end
$$;
revoke all on function private.announce_revocation() from public;

create trigger org_members_announce_removal after delete on public.org_members
  for each row execute function private.announce_revocation();

do $$
begin
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') and to_regclass('auth.sessions') is not null then
    create trigger sessions_announce_removal after delete on auth.sessions
      for each row execute function private.announce_revocation();
  end if;
end
$$;
