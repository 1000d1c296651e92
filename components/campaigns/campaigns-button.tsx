"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { ModalDialog } from "@/components/shared/modal-dialog";
import { useHydrated } from "@/components/shared/use-hydrated";
import type { Plan, Role } from "@/lib/rbac/policy";

// The panel (list, builder, progress) loads on the first click: the page's first load does not carry it.
const CampaignsPanel = lazy(() => import("@/components/campaigns/campaigns-panel").then((m) => ({ default: m.CampaignsPanel })));

/** "Campaigns" in the page's header, for every member on a plan with campaigns: opens them in a dialog. */
export function CampaignsButton({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
  const [open, setOpen] = useState(false);
  const hydrated = useHydrated();
  const button = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => {
    setOpen(false);
    button.current?.focus();
  }, []);
  return (
    <>
      <button ref={button} type="button" onClick={() => setOpen(true)} aria-haspopup="dialog" aria-expanded={open} disabled={!hydrated}
        className="rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 disabled:opacity-60">
        Campaigns
      </button>
      {open ? (
        <ModalDialog title="Campaigns" onClose={close} testId="campaigns-dialog">
          <Suspense fallback={<p role="status" className="text-muted">Loading the campaigns…</p>}>
            <CampaignsPanel orgId={orgId} role={role} plan={plan} />
          </Suspense>
        </ModalDialog>
      ) : null}
    </>
  );
}
