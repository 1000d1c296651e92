"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";
import type { Plan, Role } from "@/lib/rbac/policy";

/**
 * "Targets" (every member) and "Campaigns" (plans with campaigns) in the page's header. This
 * module is all the page loads for them after hydration; each dialog, with its panel, loads on
 * its button's first click (tests/e2e/page-weight.spec.ts holds the page to its budgets).
 */
const TargetsDialog = lazy(() => import("@/components/targets/targets-dialog").then((m) => ({ default: m.TargetsDialog })));
const CampaignsDialog = lazy(() => import("@/components/campaigns/campaigns-dialog").then((m) => ({ default: m.CampaignsDialog })));

export function ProgramButtons({ orgId, role, plan, campaigns }: { orgId: string; role: Role; plan: Plan; campaigns: boolean }) {
  const [open, setOpen] = useState<"targets" | "campaigns" | null>(null);
  // Server-rendered, they do nothing until the page has hydrated: disabled until then, not a dead click.
  const hydrated = useHydrated();
  const buttons = useRef<Record<"targets" | "campaigns", HTMLButtonElement | null>>({ targets: null, campaigns: null });
  // The opener takes focus back when its dialog closes.
  const last = useRef<"targets" | "campaigns">("targets");
  const show = (which: "targets" | "campaigns") => {
    last.current = which;
    setOpen(which);
  };
  const close = useCallback(() => {
    setOpen(null);
    buttons.current[last.current]?.focus();
  }, []);
  const button = (which: "targets" | "campaigns", label: string) => (
    <button ref={(el) => { buttons.current[which] = el; }} type="button" onClick={() => show(which)} aria-haspopup="dialog" aria-expanded={open === which}
      disabled={!hydrated} className="rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 disabled:opacity-60">
      {label}
    </button>
  );
  const props = { orgId, role, plan, onClose: close };
  return (
    <>
      {button("targets", "Targets")}
      {campaigns ? button("campaigns", "Campaigns") : null}
      {open ? (
        <Suspense fallback={<span role="status" className="text-sm text-muted">Opening…</span>}>
          {open === "targets" ? <TargetsDialog {...props} /> : <CampaignsDialog {...props} />}
        </Suspense>
      ) : null}
    </>
  );
}
