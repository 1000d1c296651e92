-- Insights over shopper scripts and surveys (issue 20, docs/adr/0036): the action that reads
-- them, as lib/rbac/policy.ts has it. No table: insights are aggregates computed as the member,
-- under the RLS of what they count (calls, recordings, transcription artifacts, scores, survey
-- answers), so a member reads no more through an aggregate than the rows would show them.
--   insights.read  owners, admins and analysts, on the insights plan and up (the plan that
--                  sells surveys and scripts sells what they add up to)
insert into private.action_plans (action, min_plan) values ('insights.read', 'insights');
insert into private.permissions (action, role) values
  ('insights.read', 'owner'), ('insights.read', 'admin'), ('insights.read', 'analyst');
