"use client";

import { useState } from "react";
import useSWR from "swr";
import { errorMessage, swrFetcher, type ApiError, type ApiKey } from "@/components/shared/api-client";
import { BUTTON_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { CampaignBuilder } from "@/components/campaigns/campaign-builder";
import { CampaignDetail } from "@/components/campaigns/campaign-detail";
import { STATE_LABEL } from "@/components/campaigns/campaign-form";
import type { CampaignView } from "@/lib/campaigns/contracts";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";

/**
 * The organization's campaigns (docs/adr/0035), in the Campaigns dialog: the list, the builder
 * (owners and admins), and the chosen campaign with its live progress and the acts this person
 * may take. Loaded only when the dialog opens.
 */
export function campaignsKey(orgId: string): ApiKey {
  return ["/api/campaigns?limit=50", orgId];
}

export function CampaignsPanel({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
  const may = { manage: allows(role, plan, "campaign.manage"), pause: allows(role, plan, "campaign.pause"), export: allows(role, plan, "evidence.export") };
  const list = useSWR<{ campaigns: CampaignView[]; nextBefore: string | null }, ApiError>(campaignsKey(orgId), swrFetcher, { refreshInterval: 10_000 });
  const [view, setView] = useState<{ kind: "none" } | { kind: "new" } | { kind: "campaign"; id: string }>({ kind: "none" });
  const campaigns = list.data?.campaigns ?? [];

  return (
    <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_minmax(0,1.6fr)]" data-testid="campaigns-panel">
      <div className="space-y-3">
        {may.manage ? (
          <button type="button" className={PRIMARY_CLASS} onClick={() => setView({ kind: "new" })} disabled={view.kind === "new"}>New campaign</button>
        ) : (
          <p className="text-xs text-muted">Owners and admins build, launch and cancel campaigns{may.pause ? "; you may pause and resume them" : ""}.</p>
        )}
        {list.error ? (
          <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-danger">
            <p>Could not load the campaigns: {errorMessage(list.error)}</p>
            <button type="button" onClick={() => void list.mutate()} className={`${BUTTON_CLASS} mt-2`}>Retry</button>
          </div>
        ) : !list.data ? (
          <p role="status" className="text-muted">Loading the campaigns…</p>
        ) : (
          <table className="w-full text-left" data-testid="campaigns-table">
            <caption className="mb-1 text-left font-medium">Campaigns, newest first</caption>
            <thead className="border-b border-slate-300 text-xs uppercase text-muted">
              <tr><th scope="col" className="py-1">Name</th><th scope="col">State</th><th scope="col">Targets</th></tr>
            </thead>
            <tbody>
              {campaigns.length === 0 ? (
                <tr><td colSpan={3} className="py-2 text-muted">No campaigns yet.</td></tr>
              ) : campaigns.map((c) => (
                <tr key={c.id} className={`border-b border-slate-100 ${view.kind === "campaign" && view.id === c.id ? "bg-blue-50" : ""}`}>
                  <th scope="row" className="py-1.5 pr-2 font-normal">
                    <button type="button" className="text-left font-medium text-accent underline" aria-current={view.kind === "campaign" && view.id === c.id ? "true" : undefined}
                      onClick={() => setView({ kind: "campaign", id: c.id })}>{c.name}</button>
                  </th>
                  <td className="pr-2">{STATE_LABEL[c.state] ?? c.state}</td>
                  <td className="text-xs">{"tags" in c.selection ? `Tagged ${c.selection.tags.join(" + ")}` : `${c.selection.targetIds.length} chosen`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div>
        {view.kind === "new" ? (
          <CampaignBuilder orgId={orgId} onCancel={() => setView({ kind: "none" })}
            onCreated={(c) => { void list.mutate(); setView({ kind: "campaign", id: c.id }); }} />
        ) : view.kind === "campaign" ? (
          <CampaignDetail key={view.id} orgId={orgId} id={view.id} may={may} onChanged={() => void list.mutate()}
            onDeleted={() => { void list.mutate(); setView({ kind: "none" }); }} />
        ) : (
          <p className="text-muted">Choose a campaign to see its progress{may.manage ? ", or build a new one" : ""}.</p>
        )}
      </div>
    </div>
  );
}
