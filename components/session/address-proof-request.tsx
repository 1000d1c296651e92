"use client";

import { useId, useState, type FormEvent } from "react";
import type { AddressProofRequest, AddressProofRequestedResponse } from "@/lib/auth/contracts";
import type { ErrorBody } from "@/lib/http/contracts";

/**
 * Ask for a link to set the password of the account that uses an address. The answer is the same
 * whether or not one does: it says where the message went, never whether an account exists.
 */
export function AddressProofRequestForm() {
  const emailId = useId();
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    setPending(true);
    setOutcome(null);
    try {
      const res = await fetch("/api/auth/address-proof", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email } satisfies AddressProofRequest),
      });
      const body = (await res.json().catch(() => null)) as (AddressProofRequestedResponse & Partial<ErrorBody>) | null;
      setOutcome(res.ok && body?.message
        ? { ok: true, text: body.message }
        : { ok: false, text: body?.error?.message ?? `The server answered ${res.status}. Try again.` });
    } catch {
      setOutcome({ ok: false, text: "Could not reach the server. Check your connection and try again." });
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <div>
        <label htmlFor={emailId} className="block text-sm font-medium">Email</label>
        <input id={emailId} name="email" type="email" autoComplete="username" required
          className="mt-1 w-full rounded border border-slate-300 px-3 py-2" />
      </div>
      <p role={outcome && !outcome.ok ? "alert" : "status"} aria-live="polite"
        className={`min-h-5 text-sm ${outcome && !outcome.ok ? "text-danger" : ""}`}>
        {outcome?.text}
      </p>
      <button type="submit" disabled={pending}
        className="w-full rounded bg-accent px-4 py-2 font-medium text-white disabled:opacity-60">
        {pending ? "Sending…" : "Send me a link"}
      </button>
    </form>
  );
}
