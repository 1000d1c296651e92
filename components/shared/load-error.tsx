"use client";

import { errorMessage } from "@/components/shared/api-client";
import { BUTTON_CLASS } from "@/components/shared/modal-dialog";

/** A panel's own load failure: what could not be loaded, the server's message, and Retry. */
export function LoadError({ what, error, onRetry }: { what: string; error: unknown; onRetry: () => void }) {
  return (
    <div role="alert" className="mt-2 rounded border border-red-200 bg-red-50 p-3 text-danger">
      <p>Could not load {what}: {errorMessage(error)}</p>
      <button type="button" onClick={onRetry} className={`${BUTTON_CLASS} mt-2`}>Retry</button>
    </div>
  );
}
