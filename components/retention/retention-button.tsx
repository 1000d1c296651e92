"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";
import type { Plan, Role } from "@/lib/rbac/policy";

// The dialog and its three panels load on the first click: neither the page's first load nor
// its settled load carries them (tests/e2e/page-weight.spec.ts).
const RetentionDialog = lazy(() => import("@/components/retention/retention-dialog").then((m) => ({ default: m.RetentionDialog })));

/** "Retention" for members who may read retention (the page renders it only for them): opens the retention dialog. */
export function RetentionButton({ orgId, role, plan, campaigns }: { orgId: string; role: Role; plan: Plan; campaigns: boolean }) {
  const [open, setOpen] = useState(false);
  // Server-rendered, it does nothing until the page has hydrated: disabled until then, not a dead click.
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
        Retention
      </button>
      {open ? (
        <Suspense fallback={<span role="status" className="text-sm text-muted">Opening retention…</span>}>
          <RetentionDialog orgId={orgId} role={role} plan={plan} campaigns={campaigns} onClose={close} />
        </Suspense>
      ) : null}
    </>
  );
}
