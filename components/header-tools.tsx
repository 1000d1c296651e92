"use client";

import { InsightsButton } from "@/components/insights/insights-button";
import { SettingsButton } from "@/components/settings/settings-button";
import type { Role } from "@/lib/rbac/policy";

/**
 * The header's buttons that only some people see: Insights (owners, admins and analysts on the
 * insights plan and up) and Settings (owners and admins). One chunk, loaded after the page by
 * components/lazy-panels.tsx; each button loads its own dialog on its first click.
 */
export function HeaderTools({ orgId, role, insights, settings }: { orgId: string; role: Role; insights: boolean; settings: boolean }) {
  return (
    <>
      {insights ? <InsightsButton orgId={orgId} /> : null}
      {settings ? <SettingsButton orgId={orgId} role={role} /> : null}
    </>
  );
}
