"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";

// The dialog, its charts and the charting library load on the first click: neither the page's
// first load nor its settled load carries them.
const InsightsDialog = lazy(() => import("@/components/insights/insights-dialog").then((m) => ({ default: m.InsightsDialog })));

/** "Insights" for members who may read them (the page renders it only for them): opens the insights dialog. */
export function InsightsButton({ orgId }: { orgId: string }) {
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
        Insights
      </button>
      {open ? (
        <Suspense fallback={<span role="status" className="text-sm text-muted">Opening insights…</span>}>
          <InsightsDialog orgId={orgId} onClose={close} />
        </Suspense>
      ) : null}
    </>
  );
}
