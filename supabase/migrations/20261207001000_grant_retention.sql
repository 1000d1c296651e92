-- Retention, legal holds and erasure (issue 21, docs/adr/0037): the actions, as
-- lib/rbac/policy.ts has them, on every plan (keeping and letting go are compliance controls,
-- like the do-not-call list).
--   retention.read    owners, admins, analysts: see the policies, holds, what they protect and
--                     what was deleted
--   retention.manage  owners, admins: change retention policies (preview, then confirm)
--   erasure.request   owners, admins: erase a data subject's calls
--   hold.set          owners, admins, analysts: put calls on legal hold (protective: it can
--                     only keep more)
--   hold.release      owners, admins: lift a hold (it lets retention and erasure delete again)
insert into private.action_plans (action, min_plan) values
  ('retention.read', 'base'), ('retention.manage', 'base'), ('erasure.request', 'base'), ('hold.set', 'base'), ('hold.release', 'base');
insert into private.permissions (action, role) values
  ('retention.read', 'owner'), ('retention.read', 'admin'), ('retention.read', 'analyst'),
  ('retention.manage', 'owner'), ('retention.manage', 'admin'),
  ('erasure.request', 'owner'), ('erasure.request', 'admin'),
  ('hold.set', 'owner'), ('hold.set', 'admin'), ('hold.set', 'analyst'),
  ('hold.release', 'owner'), ('hold.release', 'admin');
