"use client";

import { Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { useHydrated } from "@/components/shared/use-hydrated";

/**
 * A header button that opens a lazily loaded dialog: disabled until the page has hydrated (not a
 * dead click), `aria-expanded` while open, "Opening…" while the dialog's chunk loads, and focus
 * back on the button when the dialog closes. `dialog` renders the dialog with its `onClose`.
 */
export function DialogButton({ label, opening, dialog }: { label: string; opening: string; dialog: (onClose: () => void) => ReactNode }) {
  const [open, setOpen] = useState(false);
  const hydrated = useHydrated();
  const button = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => setOpen(false), []);
  // The opener takes focus back once its dialog has closed (not on the first render).
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) wasOpen.current = true;
    else if (wasOpen.current) {
      wasOpen.current = false;
      button.current?.focus();
    }
  }, [open]);
  return (
    <>
      <button ref={button} type="button" onClick={() => setOpen(true)} aria-haspopup="dialog" aria-expanded={open} disabled={!hydrated}
        className="rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 disabled:opacity-60">
        {label}
      </button>
      {open ? <Suspense fallback={<span role="status" className="text-sm text-muted">{opening}</span>}>{dialog(close)}</Suspense> : null}
    </>
  );
}
