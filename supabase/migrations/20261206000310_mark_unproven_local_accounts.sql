-- Local accounts (the embedded default's auth.users) now say whether anyone has proven their
-- address: `email_confirmed_at` is when someone showed they read mail sent to it, null when nobody
-- has (docs/adr/0027). Until now every local account was created with it set, including accounts
-- made by accepting an invitation with a password, although the embedded default without SMTP
-- shows the invitation's link to the inviter, who could create the account themselves. Those
-- accounts are recognised by an invitation they accepted within a minute of their creation (the
-- one-step join creates, signs in and accepts at once) and marked unproven; so, conservatively,
-- are those that joined by a mailed link, since nothing recorded then where a link went. The mark
-- only decides what happens to the account's memberships when the address's owner sets its
-- password (lib/auth/address-proofs.ts): they are offered again rather than kept. Accounts created by
-- `npm run user:create` or the demo seed keep their mark: whoever runs the server made them.
-- Hosted Supabase owns auth.users and confirms addresses itself: nothing is changed there.
do $$
begin
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    update auth.users u set email_confirmed_at = null
    where u.email_confirmed_at is not null
      and exists (
        select from public.invitations i
        where i.accepted_by = u.id and i.accepted_at between u.created_at and u.created_at + interval '1 minute'
      );
  end if;
end
$$;
