"use client";

import { useId } from "react";

/**
 * A new password and its confirmation, as every form that sets one asks for them (`password`
 * and `confirm` in the form's data; at least 12 characters, as the server requires).
 */
export function NewPasswordFields({ label = "Password" }: { label?: string }) {
  const ids = { password: useId(), confirm: useId() };
  return (
    <>
      <div>
        <label htmlFor={ids.password} className="block text-sm font-medium">{label}</label>
        <input id={ids.password} name="password" type="password" autoComplete="new-password" minLength={12} required
          aria-describedby={`${ids.password}-hint`} className="mt-1 w-full rounded border border-slate-300 px-3 py-2" />
        <p id={`${ids.password}-hint`} className="text-xs text-muted">At least 12 characters.</p>
      </div>
      <div>
        <label htmlFor={ids.confirm} className="block text-sm font-medium">Confirm password</label>
        <input id={ids.confirm} name="confirm" type="password" autoComplete="new-password" required
          className="mt-1 w-full rounded border border-slate-300 px-3 py-2" />
      </div>
    </>
  );
}
