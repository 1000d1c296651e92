"use client";

import { lazy, Suspense, type ComponentProps } from "react";

/**
 * Panels only some people see (choosing an organization only when none is active; switching
 * only for members of several; Settings only for owners and admins), loaded when shown, so everyone else's first load does not
 * carry them; the Targets and Campaigns buttons load after hydration, their dialogs on the first
 * click. The server page renders these instead of the panels themselves.
 */
const OrgSwitcher = lazy(() => import("@/components/session/org-switcher").then((m) => ({ default: m.OrgSwitcher })));
const SettingsButton = lazy(() => import("@/components/settings/settings-button").then((m) => ({ default: m.SettingsButton })));
const ProgramButtons = lazy(() => import("@/components/campaigns/program-buttons").then((m) => ({ default: m.ProgramButtons })));
const OrgChooser = lazy(() => import("@/components/session/org-chooser").then((m) => ({ default: m.OrgChooser })));

const loading = <p className="text-sm text-muted">Loading…</p>;

export function LazyOrgChooser(props: ComponentProps<typeof OrgChooser>) {
  return <Suspense fallback={loading}><OrgChooser {...props} /></Suspense>;
}

export function LazyOrgSwitcher(props: ComponentProps<typeof OrgSwitcher>) {
  return <Suspense fallback={null}><OrgSwitcher {...props} /></Suspense>;
}

export function LazySettingsButton(props: ComponentProps<typeof SettingsButton>) {
  return <Suspense fallback={null}><SettingsButton {...props} /></Suspense>;
}

export function LazyProgramButtons(props: ComponentProps<typeof ProgramButtons>) {
  return <Suspense fallback={null}><ProgramButtons {...props} /></Suspense>;
}
