"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal panel as Settings has it: a native <dialog> opened with showModal (focus moves in,
 * the rest of the page is inert, Escape closes), a heading that names it and a Close button.
 * Mounted when opened; `onClose` runs once it has closed, and the opener takes focus back.
 */
export function ModalDialog({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const id = useId();
  const dialog = useModalDialog(onClose);

  return (
    <dialog ref={dialog} aria-labelledby={`${id}-title`} data-testid={testId}
      className="m-auto max-h-[92vh] w-[min(72rem,calc(100vw-2rem))] overflow-y-auto rounded-lg border border-slate-300 bg-white p-0 text-ink shadow-xl backdrop:bg-slate-900/50">
      <div className="sticky top-0 z-10 flex items-center gap-3 border-b border-slate-200 bg-white px-5 py-3">
        <h2 id={`${id}-title`} className="text-lg font-semibold">{title}</h2>
        <button type="button" onClick={() => dialog.current?.close()}
          className="ml-auto rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100">
          Close<span className="sr-only"> {title.toLowerCase()}</span>
        </button>
      </div>
      <div className="px-5 py-4 text-sm">{children}</div>
    </dialog>
  );
}

/**
 * The native <dialog> a panel renders, opened with showModal when it mounts (focus moves in, the
 * rest of the page is inert, Escape closes) and closed when it unmounts; `onClose` (the latest
 * one, without reopening) runs once the person has closed it. Every modal panel opens this way.
 */
export function useModalDialog(onClose: () => void) {
  const dialog = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  }, [onClose]);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (!el.open) el.showModal();
    // `close` comes later, as a task: React's development double run closes and reopens at once,
    // and that first close must not close it for the person.
    const closed = () => {
      if (!el.open) onCloseRef.current();
    };
    el.addEventListener("close", closed);
    return () => {
      el.removeEventListener("close", closed);
      if (el.open) el.close();
    };
  }, []);
  return dialog;
}

/** The classes every input of these panels shares. */
export const INPUT_CLASS = "mt-1 w-full rounded border border-slate-300 px-2 py-1.5";
export const BUTTON_CLASS = "rounded border border-slate-300 bg-white px-3 py-1 font-medium hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-60";
export const PRIMARY_CLASS = "rounded bg-accent px-3 py-1.5 font-medium text-white hover:bg-blue-800 disabled:opacity-60";
