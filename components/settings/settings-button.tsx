"use client";

import { lazy, Suspense, useCallback, useRef, useState } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";
import type { Role } from "@/lib/rbac/policy";

// The dialog and everything in it load on the first click: the page's first load does not carry them.
const SettingsDialog = lazy(() => import("@/components/settings/settings-dialog").then((m) => ({ default: m.SettingsDialog })));

/** "Settings" for owners and admins (the page renders it only for them): opens the settings dialog. */
export function SettingsButton({ orgId, role }: { orgId: string; role: Role }) {
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
        Settings
      </button>
      {open ? (
        <Suspense fallback={<span role="status" className="text-sm text-muted">Opening settings…</span>}>
          <SettingsDialog orgId={orgId} role={role} onClose={close} />
        </Suspense>
      ) : null}
    </>
  );
}
