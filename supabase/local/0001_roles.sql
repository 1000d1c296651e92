-- What hosted Supabase already provides and plain Postgres lacks: the three API roles.
-- Applied only to plain Postgres (embedded default, or a DATABASE_URL that is not Supabase).
-- Roles are cluster-wide, so every statement tolerates a cluster that already has them.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- On Supabase the connecting `postgres` role is a member of all three; `withUser` and
-- `asService` switch to them with set_config('role', ...).
do $$
begin
  execute format('grant anon, authenticated, service_role to %I', current_user);
end
$$;

grant usage on schema public to anon, authenticated, service_role;
