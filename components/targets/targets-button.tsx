"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { ModalDialog } from "@/components/shared/modal-dialog";
import { useHydrated } from "@/components/shared/use-hydrated";
import type { Plan, Role } from "@/lib/rbac/policy";

// The panel (list, form, import) loads on the first click: the page's first load does not carry it.
const TargetsPanel = lazy(() => import("@/components/targets/targets-panel").then((m) => ({ default: m.TargetsPanel })));

/** "Targets" in the page's header, for every member: opens the saved targets in a dialog. */
export function TargetsButton({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
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
        Targets
      </button>
      {open ? (
        <ModalDialog title="Saved targets" onClose={close} testId="targets-dialog">
          <Suspense fallback={<p role="status" className="text-muted">Loading the targets…</p>}>
            <TargetsPanel orgId={orgId} role={role} plan={plan} />
          </Suspense>
        </ModalDialog>
      ) : null}
    </>
  );
}
