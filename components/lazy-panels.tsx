"use client";

import { lazy, Suspense, type ComponentProps } from "react";

/**
 * Panels only some people see (choosing an organization only when none is active; switching
 * only for members of several; Settings only for owners and admins; Insights only for owners,
 * admins and analysts on insights and up; Retention for owners, admins and analysts; Targets and Campaigns for members whose plan has them), loaded when shown, so everyone else's first load does
 * not carry them. The server page renders these instead of the panels themselves.
 */
const OrgSwitcher = lazy(() => import("@/components/session/org-switcher").then((m) => ({ default: m.OrgSwitcher })));
// Settings, Insights, Retention, Targets and Campaigns share one chunk behind one lazy import, so adding
// the later ones added nothing to the first load; each dialog loads on its button's first click.
const HeaderTools = lazy(() => import("@/components/header-tools").then((m) => ({ default: m.HeaderTools })));
const OrgChooser = lazy(() => import("@/components/session/org-chooser").then((m) => ({ default: m.OrgChooser })));

const loading = <p className="text-sm text-muted">Loading…</p>;

export function LazyOrgChooser(props: ComponentProps<typeof OrgChooser>) {
  return <Suspense fallback={loading}><OrgChooser {...props} /></Suspense>;
}

export function LazyOrgSwitcher(props: ComponentProps<typeof OrgSwitcher>) {
  return <Suspense fallback={null}><OrgSwitcher {...props} /></Suspense>;
}

export function LazyHeaderTools(props: ComponentProps<typeof HeaderTools>) {
  return <Suspense fallback={null}><HeaderTools {...props} /></Suspense>;
}

