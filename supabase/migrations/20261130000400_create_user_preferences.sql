-- Per-person settings; today only the organization the person chose to work in. The active
-- organization is always an explicit choice stored here, never inferred from list order.
-- Written by lib/auth/active-org.ts as the person themselves. A stored organization the person
-- no longer belongs to is ignored by the resolver (and cannot be stored in the first place).
create table public.user_preferences (
  user_id uuid primary key,
  active_organization_id uuid references public.organizations (id) on delete set null,
  updated_at timestamptz not null default now()
);
alter table public.user_preferences enable row level security;

revoke all on public.user_preferences from anon, authenticated;
grant select, insert, update, delete on public.user_preferences to authenticated;
grant all on public.user_preferences to service_role;

create policy "People can read their own preferences"
  on public.user_preferences for select to authenticated
  using (user_id = (select auth.uid()));

create policy "People can create their own preferences, choosing only their organizations"
  on public.user_preferences for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (active_organization_id is null or (select private.is_member(active_organization_id)))
  );

create policy "People can change their own preferences, choosing only their organizations"
  on public.user_preferences for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and (active_organization_id is null or (select private.is_member(active_organization_id)))
  );

create policy "People can delete their own preferences"
  on public.user_preferences for delete to authenticated
  using (user_id = (select auth.uid()));
