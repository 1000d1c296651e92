"use client";

import { useSearchParams } from "next/navigation";
import { useId, useState } from "react";
import useSWR from "swr";
import { formatTime } from "@/components/calls/parts";
import { filterQuery, filtersOf, pageHref } from "@/components/calls/url-state";
import { apiFetch, errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import { LoadError } from "@/components/shared/load-error";
import { BUTTON_CLASS, INPUT_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { useConfirmationFocus } from "@/components/shared/use-confirmation-focus";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";
import type { HoldListItem, HoldView } from "@/lib/retention/contracts";
import type { CampaignView } from "@/lib/campaigns/contracts";

/**
 * Legal holds (docs/adr/0037): every hold, active first, with what it protects (a call, a
 * campaign's calls, or a saved search: the call list's filters when it was set, and how many
 * calls), its reason, who set it and when, and who lifted it. Owners, admins and analysts set one
 * on the call selected on the page, on a campaign, or on the call list's current filters (the
 * page's URL holds both, docs/adr/0021); owners and admins lift one, with a reason, after a
 * confirmation. A refused request keeps what was typed.
 */

type Scope = HoldView["scope"];
const calls = (n: number) => `${n} ${n === 1 ? "call" : "calls"}`;

export function HoldsPanel({ orgId, role, plan, campaigns }: { orgId: string; role: Role; plan: Plan; campaigns: boolean }) {
  const id = useId();
  const canSet = allows(role, plan, "hold.set");
  const canRelease = allows(role, plan, "hold.release");
  const list = useSWR<{ holds: HoldListItem[] }, ApiError>(["/api/holds", orgId] as const, swrFetcher);
  const campaignList = useSWR<{ campaigns: CampaignView[] }, ApiError>(campaigns ? (["/api/campaigns?limit=100", orgId] as const) : null, swrFetcher);
  const names = new Map(campaignList.data?.campaigns.map((c) => [c.id, c.name]));
  const [done, setDone] = useState<string | null>(null);
  const holds = list.data?.holds;
  const active = holds?.filter((h) => !h.releasedAt).length ?? 0;

  return (
    <section aria-labelledby={`${id}-title`} data-testid="legal-holds">
      <h3 id={`${id}-title`} className="text-base font-semibold">Legal holds</h3>
      <p className="mt-1 text-muted">
        A call on hold keeps all its content: no retention policy and no erasure deletes any of it until every hold on it is released.
        A campaign&apos;s hold covers the calls it places later too; a saved search&apos;s covers the calls it matched when set.
      </p>
      {canSet ? <SetHoldForm orgId={orgId} campaigns={campaignList.data?.campaigns ?? null} onSet={async (note) => { setDone(note); await list.mutate(); }} /> : null}
      <p role="status" className="mt-2">{done}</p>
      {list.error ? (
        <LoadError what="the legal holds" error={list.error} onRetry={() => void list.mutate()} />
      ) : !holds ? <p role="status" className="mt-2 text-muted">Loading the legal holds…</p> : (
        <div className="mt-3 overflow-x-auto">
          <table className="w-full text-left" data-testid="holds-table">
            <caption className="text-left font-medium">Legal holds ({active} active, {holds.length - active} released)</caption>
            <thead className="text-xs uppercase text-muted">
              <tr><th scope="col">Protects</th><th scope="col">Calls</th><th scope="col">Reason</th><th scope="col">Set</th><th scope="col">State</th>{canRelease ? <th scope="col"><span className="sr-only">Actions</span></th> : null}</tr>
            </thead>
            <tbody>
              {holds.length === 0 ? <tr><td colSpan={canRelease ? 6 : 5} className="py-2 text-muted">No legal holds yet.</td></tr> : null}
              {holds.map((h) => (
                <HoldRow key={h.id} orgId={orgId} hold={h} campaignName={h.campaignId ? (names.get(h.campaignId) ?? null) : null} canRelease={canRelease}
                  onReleased={async (note) => { setDone(note); await list.mutate(); }} onRefused={() => void list.mutate()} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** What a hold protects, in words, with a link to those calls in the list. */
function protects(h: Pick<HoldView, "scope" | "callId" | "campaignId" | "filter">, campaignName: string | null): { text: string; href: string | null } {
  if (h.scope === "call" && h.callId) return { text: `Call ${h.callId.slice(0, 8)}`, href: pageHref(h.callId, {}) };
  if (h.scope === "campaign" && h.campaignId) return { text: `Campaign ${campaignName ?? h.campaignId.slice(0, 8)}`, href: pageHref(null, { campaign: h.campaignId }) };
  const filter = h.filter ?? "";
  return { text: `Saved search: ${decodeURIComponent(filter.replace(/\+/g, " "))}`, href: `/?${filter}` };
}

function HoldRow({ orgId, hold, campaignName, canRelease, onReleased, onRefused }: {
  orgId: string;
  hold: HoldListItem;
  campaignName: string | null;
  canRelease: boolean;
  onReleased: (note: string) => Promise<void>;
  onRefused: () => void;
}) {
  const id = useId();
  const what = protects(hold, campaignName);
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { into: reasonRef, back: releaseRef, returnFocus } = useConfirmationFocus<HTMLInputElement, HTMLButtonElement>(confirming);

  async function release() {
    if (!reason.trim()) {
      setError("Give a reason for releasing the hold.");
      reasonRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      await apiFetch(`/api/holds/${encodeURIComponent(hold.id)}/release`, { orgId, method: "POST", body: { reason: reason.trim() } });
      setConfirming(false);
      await onReleased(`Released the hold on ${what.text}.`);
    } catch (err) {
      setError(errorMessage(err));
      onRefused();
    } finally {
      setPending(false);
    }
  }

  return (
    <tr className="border-t border-slate-200 align-top" data-testid="hold-row" data-scope={hold.scope} data-state={hold.releasedAt ? "released" : "active"}>
      <th scope="row" className="py-1 font-normal">
        {what.href ? <a href={what.href} className="text-accent underline">{what.text}</a> : what.text}
      </th>
      <td>{hold.calls}</td>
      <td className="max-w-[16rem] break-words">{hold.reason}</td>
      <td>{hold.setByEmail ?? "a former member"}<br /><span className="text-muted">{formatTime(hold.setAt, true)}</span></td>
      <td>
        {hold.releasedAt ? (
          <>Released by {hold.releasedByEmail ?? "a former member"}, {formatTime(hold.releasedAt, true)}{hold.releaseReason ? `: ${hold.releaseReason}` : ""}</>
        ) : <span className="font-medium">Active</span>}
      </td>
      {canRelease ? (
        <td className="py-1">
          {hold.releasedAt ? null : confirming ? (
            <div role="group" aria-label={`Confirm releasing the hold on ${what.text}`} className="w-64 rounded border border-red-200 bg-red-50 p-2">
              <p>Release this hold? Retention and waiting erasures then delete what is due on its {calls(hold.calls)} unless another hold keeps them.</p>
              <label htmlFor={`${id}-reason`} className="mt-2 block font-medium">Reason for releasing</label>
              <input ref={reasonRef} id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required
                aria-describedby={error ? `${id}-error` : undefined} className={INPUT_CLASS} />
              <div className="mt-2 flex gap-2">
                <button type="button" onClick={() => void release()} disabled={pending}
                  className="rounded bg-danger px-3 py-1 font-medium text-white hover:bg-red-800 disabled:opacity-60">
                  {pending ? "Releasing…" : "Yes, release the hold"}
                </button>
                <button type="button" disabled={pending} onClick={() => { returnFocus(); setConfirming(false); setError(null); }} className={BUTTON_CLASS}>Cancel</button>
              </div>
            </div>
          ) : (
            <button ref={releaseRef} type="button" onClick={() => setConfirming(true)} className={BUTTON_CLASS}>
              Release…<span className="sr-only"> the hold on {what.text}</span>
            </button>
          )}
          <p id={`${id}-error`} role="alert" className="text-xs font-medium text-danger">{error}</p>
        </td>
      ) : null}
    </tr>
  );
}

function SetHoldForm({ orgId, campaigns, onSet }: { orgId: string; campaigns: CampaignView[] | null; onSet: (note: string) => Promise<void> }) {
  const id = useId();
  // The page's state is its URL: the selected call and the call list's filters (docs/adr/0021).
  const params = useSearchParams();
  const selected = params.get("call");
  const filter = filterQuery(filtersOf(params));
  const [chosen, setChosen] = useState<Scope | null>(null);
  const scope: Scope = chosen ?? (selected ? "call" : filter ? "filter" : "campaign");
  const [campaignId, setCampaignId] = useState("");
  const [reason, setReason] = useState("");
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const campaign = campaignId || campaigns?.[0]?.id || "";
  const ready = reason.trim() !== "" && (scope === "call" ? Boolean(selected) : scope === "filter" ? Boolean(filter) : Boolean(campaign));

  async function submit() {
    if (!ready) {
      setState({ busy: false, error: reason.trim() ? "Choose what the hold protects." : "Give a reason for the hold." });
      return;
    }
    setState({ busy: true, error: null });
    const body = scope === "call" ? { scope, callId: selected, reason: reason.trim() }
      : scope === "filter" ? { scope, filter, reason: reason.trim() }
      : { scope, campaignId: campaign, reason: reason.trim() };
    try {
      const { hold } = await apiFetch<{ hold: HoldView }>("/api/holds", { orgId, method: "POST", body });
      setReason("");
      setState({ busy: false, error: null });
      const name = hold.campaignId ? (campaigns?.find((c) => c.id === hold.campaignId)?.name ?? null) : null;
      await onSet(`Hold set on ${protects(hold, name).text}: it protects ${calls(hold.calls)}.`);
    } catch (err) {
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  const option = (value: Scope, label: React.ReactNode, enabled: boolean) => (
    <div className="flex items-start gap-2">
      <input id={`${id}-${value}`} type="radio" name={`${id}-scope`} value={value} checked={scope === value} disabled={!enabled || state.busy}
        onChange={() => setChosen(value)} className="mt-1" />
      <label htmlFor={`${id}-${value}`} className={enabled ? "" : "text-muted"}>{label}</label>
    </div>
  );

  return (
    // noValidate: a missing reason is said in the form's own alert, which a screen reader announces.
    <form noValidate className="mt-3 space-y-3 rounded border border-slate-200 bg-slate-50 p-4" data-testid="set-hold" aria-busy={state.busy}
      onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <fieldset className="space-y-1">
        <legend className="font-semibold">Set a legal hold on</legend>
        {option("call", selected ? <>The selected call <span className="font-mono">{selected.slice(0, 8)}</span></> : "The selected call (select one in the call list first)", Boolean(selected))}
        {campaigns !== null ? option("campaign", "A campaign (its calls so far and later)", campaigns.length > 0) : null}
        {option("filter", filter ? <>The call list&apos;s current filters: <code>{decodeURIComponent(filter.replace(/\+/g, " "))}</code></> : "The call list's current filters (filter the list first)", Boolean(filter))}
      </fieldset>
      {scope === "campaign" && campaigns && campaigns.length > 0 ? (
        <div>
          <label htmlFor={`${id}-campaign`} className="block font-medium">Campaign</label>
          <select id={`${id}-campaign`} value={campaign} onChange={(e) => setCampaignId(e.target.value)} disabled={state.busy} className={INPUT_CLASS}>
            {campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </div>
      ) : null}
      <div>
        <label htmlFor={`${id}-reason`} className="block font-medium">Reason (required)</label>
        <textarea id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={1000} required disabled={state.busy}
          aria-describedby={state.error ? `${id}-error` : undefined} className={INPUT_CLASS} />
      </div>
      <button type="submit" className={PRIMARY_CLASS} disabled={state.busy}>{state.busy ? "Setting the hold…" : "Set hold"}</button>
      <p id={`${id}-error`} role="alert" className="text-danger">{state.error}</p>
    </form>
  );
}
