"use client";

import { useId, useRef, useState } from "react";
import useSWR from "swr";
import { formatTime } from "@/components/calls/parts";
import { pageHref } from "@/components/calls/url-state";
import { apiFetch, errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import { LoadError } from "@/components/shared/load-error";
import { BUTTON_CLASS, INPUT_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { useConfirmationFocus } from "@/components/shared/use-confirmation-focus";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";
import type { ErasureRequestView, ErasureResult } from "@/lib/retention/contracts";

/**
 * Erasure on a data subject's request (docs/adr/0037): owners and admins give a number and a
 * reason and confirm; the answer says how many calls have the number, how many are queued for
 * deletion, and which a legal hold keeps (erased when their last hold is released). Everyone who
 * reads retention sees past requests.
 */

const E164 = /^\+[1-9]\d{6,14}$/;
const calls = (n: number) => `${n} ${n === 1 ? "call" : "calls"}`;

function CallLinks({ ids, label }: { ids: string[]; label: string }) {
  return (
    <ul aria-label={label} className="ml-5 list-disc">
      {ids.map((c) => <li key={c}><a href={pageHref(c, {})} className="font-mono text-accent underline">{c.slice(0, 8)}</a></li>)}
    </ul>
  );
}

export function ErasurePanel({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
  const id = useId();
  const may = allows(role, plan, "erasure.request");
  const past = useSWR<{ requests: ErasureRequestView[] }, ApiError>(["/api/retention/erasure", orgId] as const, swrFetcher);
  const [number, setNumber] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const [result, setResult] = useState<ErasureResult | null>(null);
  const { into: confirmRef, back: askRef, returnFocus } = useConfirmationFocus<HTMLButtonElement, HTMLButtonElement>(confirming);
  const resultRef = useRef<HTMLDivElement>(null);

  function ask() {
    const n = number.trim();
    if (!E164.test(n)) return setState({ busy: false, error: "Enter the number in E.164 form: + and the country code, such as +15551234567." });
    if (!reason.trim()) return setState({ busy: false, error: "Give a reason for the erasure (the request it answers)." });
    setState({ busy: false, error: null });
    setResult(null);
    setConfirming(true);
  }

  async function erase() {
    setState({ busy: true, error: null });
    try {
      const { erasure } = await apiFetch<{ erasure: ErasureResult }>("/api/retention/erasure", { orgId, method: "POST", body: { phoneNumber: number.trim(), reason: reason.trim() } });
      setResult(erasure);
      setConfirming(false);
      setNumber("");
      setReason("");
      setState({ busy: false, error: null });
      void past.mutate();
      requestAnimationFrame(() => resultRef.current?.focus());
    } catch (err) {
      returnFocus();
      setConfirming(false);
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  const requests = past.data?.requests;
  return (
    <section aria-labelledby={`${id}-title`} data-testid="erasure">
      <h3 id={`${id}-title`} className="text-base font-semibold">Erasure on request</h3>
      <p className="mt-1 text-muted">
        Erasing a phone number deletes the recordings, transcripts, translations, survey answers and scores of every call to or from it.
        The call rows and their sealed manifests stay, as the record that the calls happened and of what was erased. Calls on legal hold are
        erased when their last hold is released.
      </p>
      {may ? (
        <form className="mt-3 space-y-3 rounded border border-slate-200 bg-slate-50 p-4" aria-busy={state.busy} onSubmit={(e) => { e.preventDefault(); ask(); }}>
          <div className="grid gap-3 sm:grid-cols-2">
            <div>
              <label htmlFor={`${id}-number`} className="block font-medium">Phone number</label>
              <input id={`${id}-number`} type="tel" autoComplete="off" value={number} onChange={(e) => { setNumber(e.target.value); setConfirming(false); }}
                disabled={state.busy} aria-describedby={`${id}-number-hint`} className={`${INPUT_CLASS} font-mono`} />
              <p id={`${id}-number-hint`} className="text-xs text-muted">E.164: + and the country code, such as +15551234567.</p>
            </div>
            <div>
              <label htmlFor={`${id}-reason`} className="block font-medium">Reason (required)</label>
              <input id={`${id}-reason`} value={reason} onChange={(e) => { setReason(e.target.value); setConfirming(false); }} maxLength={1000}
                disabled={state.busy} className={INPUT_CLASS} />
            </div>
          </div>
          <button ref={askRef} type="submit" className={PRIMARY_CLASS} disabled={state.busy || confirming}>Erase…</button>
          {confirming ? (
            <div role="group" aria-label={`Confirm erasing ${number.trim()}`} className="rounded border border-red-200 bg-red-50 p-3">
              <p>Erase the content of every call to or from <span className="font-mono">{number.trim()}</span>? This cannot be undone.</p>
              <div className="mt-2 flex gap-2">
                <button ref={confirmRef} type="button" onClick={() => void erase()} disabled={state.busy}
                  className="rounded bg-danger px-3 py-1 font-medium text-white hover:bg-red-800 disabled:opacity-60">
                  {state.busy ? "Erasing…" : `Yes, erase ${number.trim()}`}
                </button>
                <button type="button" disabled={state.busy} onClick={() => { returnFocus(); setConfirming(false); }} className={BUTTON_CLASS}>Cancel</button>
              </div>
            </div>
          ) : null}
          <p role="alert" className="text-danger">{state.error}</p>
        </form>
      ) : <p className="mt-2 text-muted">Only owners and admins request an erasure.</p>}

      {result ? (
        <div ref={resultRef} tabIndex={-1} role="status" className="mt-3 rounded border border-slate-300 p-3" data-testid="erasure-result">
          <p className="font-medium">
            Erasure of <span className="font-mono">{result.phoneNumber}</span>: {calls(result.erasing.length + result.held.length)} found,
            {" "}{calls(result.erasing.length)} queued for deletion, {calls(result.held.length)} held back by legal holds.
          </p>
          {result.held.length > 0 ? (
            <>
              <p className="mt-2">Held back (erased when their last hold is released):</p>
              <CallLinks ids={result.held} label="Calls held back by legal holds" />
            </>
          ) : null}
        </div>
      ) : null}

      {past.error ? (
        <LoadError what="past erasure requests" error={past.error} onRetry={() => void past.mutate()} />
      ) : !requests ? <p role="status" className="mt-2 text-muted">Loading past erasure requests…</p> : (
        <div className="mt-3 overflow-x-auto">
          <table className="w-full text-left" data-testid="erasure-requests">
            <caption className="text-left font-medium">Past erasure requests ({requests.length})</caption>
            <thead className="text-xs uppercase text-muted">
              <tr><th scope="col">Number</th><th scope="col">Reason</th><th scope="col">Asked</th><th scope="col">Calls</th><th scope="col">Held back</th></tr>
            </thead>
            <tbody>
              {requests.length === 0 ? <tr><td colSpan={5} className="py-2 text-muted">None yet.</td></tr> : null}
              {requests.map((r) => (
                <tr key={r.id} className="border-t border-slate-200 align-top">
                  <th scope="row" className="py-1 font-mono font-normal">{r.phoneNumber}</th>
                  <td className="max-w-[16rem] break-words">{r.reason ?? "—"}</td>
                  <td>{r.requestedByEmail ?? "a former member"}<br /><span className="text-muted">{formatTime(r.requestedAt, true)}</span></td>
                  <td>{r.callIds.length}</td>
                  <td>{r.heldCallIds.length === 0 ? "none" : <CallLinks ids={r.heldCallIds} label={`Calls of ${r.phoneNumber} held back`} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
