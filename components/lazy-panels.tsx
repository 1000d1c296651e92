"use client";

import { lazy, Suspense, type ComponentProps } from "react";

/**
 * Panels only some people see (inviting members is for owners and admins; choosing an
 * organization only when none is active; switching only for members of several), loaded when shown, so everyone else's first load
 * does not carry them. The server page renders these instead of the panels themselves.
 */
const InviteMemberPanel = lazy(() => import("@/components/invite-member-panel").then((m) => ({ default: m.InviteMemberPanel })));
const OrgSwitcher = lazy(() => import("@/components/org-switcher").then((m) => ({ default: m.OrgSwitcher })));
const OrgChooser = lazy(() => import("@/components/org-chooser").then((m) => ({ default: m.OrgChooser })));

const loading = <p className="text-sm text-muted">Loading…</p>;

export function LazyInviteMemberPanel(props: ComponentProps<typeof InviteMemberPanel>) {
  return <Suspense fallback={loading}><InviteMemberPanel {...props} /></Suspense>;
}

export function LazyOrgChooser(props: ComponentProps<typeof OrgChooser>) {
  return <Suspense fallback={loading}><OrgChooser {...props} /></Suspense>;
}

export function LazyOrgSwitcher(props: ComponentProps<typeof OrgSwitcher>) {
  return <Suspense fallback={null}><OrgSwitcher {...props} /></Suspense>;
}
