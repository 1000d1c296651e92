-- The organization's own changes, for the activity feed (lib/activity/feed.ts): who changed
-- the voice configuration, who changed or removed a member, who invited, revoked or joined.
-- Append-only, per organization. `actor_user_id` is the member who acted (null on the service
-- path); `subject` is the member's user id, or the invitation's id; `payload` is the kind's
-- fields from the catalogue in lib/orgs/audit.ts (names of changed fields, roles, the invited
-- email) and never a secret, token or link.
--
-- Written only by private.append_organization_event, called by lib/orgs/audit.ts inside the
-- transaction that makes the change, so a change that rolls back leaves no event. No API role
-- may insert into the table itself (on hosted Supabase that would let a member forge entries
-- through PostgREST); the function is in the private schema, which the API does not expose.
-- Never updated or deleted, by any role, the service path and the table owner included
-- (trigger). Read by members whose role may manage members (owners, admins): the feed
-- names people by email, and who invited whom is theirs to see.
-- `occurred_at` is the transaction's time, shared by everything one change did (an invitation
-- that replaces another is two events); `id` keeps them in the order they were written.
create table public.organization_events (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  actor_user_id uuid,
  kind text not null check (kind in (
    'voice_config.updated', 'member.role_changed', 'member.removed',
    'invitation.created', 'invitation.revoked', 'invitation.accepted'
  )),
  subject text check (length(subject) <= 200),
  payload jsonb not null default '{}'::jsonb check (jsonb_typeof(payload) = 'object' and pg_column_size(payload) <= 8192),
  occurred_at timestamptz not null default now()
);
alter table public.organization_events enable row level security;
-- The feed's keyset range, newest first (as *_index_activity_feed.sql for the other sources).
create index organization_events_org_occurred_idx on public.organization_events (organization_id, occurred_at desc, id desc);

revoke all on public.organization_events from anon, authenticated, service_role;
grant select on public.organization_events to authenticated;
grant select on public.organization_events to service_role;

create policy "Members who may manage members can read their organization's changes"
  on public.organization_events for select to authenticated
  using (organization_id = any ((select private.org_ids_allowing('members.manage'))::uuid[]));

-- The one insert. The actor is whoever the transaction runs as (auth.uid(); null on the service
-- path), never a parameter. A member may only write into an organization they belong to, or
-- record their own removal from it (which is made before the event is written).
create function private.append_organization_event(p_org uuid, p_kind text, p_subject text, p_payload jsonb)
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_id bigint;
begin
  if v_uid is not null and not private.is_member(p_org)
     and not (p_kind = 'member.removed' and p_subject = v_uid::text) then
    raise exception 'not a member of organization %', p_org using errcode = 'insufficient_privilege';
  end if;
  insert into public.organization_events (organization_id, actor_user_id, kind, subject, payload)
  values (p_org, v_uid, p_kind, p_subject, p_payload)
  returning id into v_id;
  return v_id;
end
$$;
revoke all on function private.append_organization_event(uuid, text, text, jsonb) from public;
grant execute on function private.append_organization_event(uuid, text, text, jsonb) to authenticated, service_role;

create trigger organization_events_immutable
  before update or delete on public.organization_events
  for each row execute function private.forbid_change();
create trigger organization_events_no_truncate
  before truncate on public.organization_events
  execute function private.forbid_change();

-- Live in the feed like the other sources: `{ org, topic: "calls", callId: null }`, ids only.
create trigger organization_events_announce after insert on public.organization_events
  for each row execute function private.announce_change('calls');
