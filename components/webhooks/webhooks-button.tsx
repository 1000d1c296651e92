"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";

// The dialog loads on the first click: the page's first load does not carry it.
const WebhooksDialog = lazy(() => import("@/components/webhooks/webhooks-dialog").then((m) => ({ default: m.WebhooksDialog })));

/** "Webhooks" for owners and admins (webhooks.manage): endpoints, secrets, the delivery log and replay. */
export function WebhooksButton({ orgId }: { orgId: string }) {
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
        Webhooks
      </button>
      {open ? (
        <Suspense fallback={<span role="status" className="text-sm text-muted">Opening webhooks…</span>}>
          <WebhooksDialog orgId={orgId} onClose={close} />
        </Suspense>
      ) : null}
    </>
  );
}
