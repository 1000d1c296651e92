"use client";

import { ProgramButtons } from "@/components/campaigns/program-buttons";
import { InsightsButton } from "@/components/insights/insights-button";
import { RetentionButton } from "@/components/retention/retention-button";
import { SettingsButton } from "@/components/settings/settings-button";
import { WebhooksButton } from "@/components/webhooks/webhooks-button";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";

/**
 * The header's buttons that only some people see: Targets and Campaigns (members whose plan has
 * them), Insights (owners, admins and analysts on the insights plan and up), Retention (owners,
 * admins and analysts: retention policies, legal holds, erasure), Settings (owners and admins)
 * and Webhooks (owners and admins, webhooks.manage). One chunk, loaded after the page by
 * components/lazy-panels.tsx; each button loads its own dialog on its first click.
 */
export function HeaderTools({ orgId, role, plan, programs, campaigns, insights, retention, settings }: {
  orgId: string; role: Role; plan: Plan; programs: boolean; campaigns: boolean; insights: boolean; retention: boolean; settings: boolean;
}) {
  return (
    <>
      {programs ? <ProgramButtons orgId={orgId} role={role} plan={plan} campaigns={campaigns} /> : null}
      {insights ? <InsightsButton orgId={orgId} /> : null}
      {retention ? <RetentionButton orgId={orgId} role={role} plan={plan} campaigns={campaigns} /> : null}
      {settings ? <SettingsButton orgId={orgId} role={role} /> : null}
      {allows(role, plan, "webhooks.manage") ? <WebhooksButton orgId={orgId} /> : null}
    </>
  );
}
