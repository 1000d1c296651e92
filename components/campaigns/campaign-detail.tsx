"use client";

import { useEffect, useState } from "react";
import useSWR from "swr";
import { apiFetch, errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import { BUTTON_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import {
  allowedActs, etaText, MODULATION_LABEL, OUTCOME_LABEL, paceText, RETRIED, RETRIED_LABEL, STATE_LABEL, TARGET_STATE_LABEL, weeklyText,
  type Modulation,
} from "@/components/campaigns/campaign-form";
import type { CampaignProgress, CampaignView } from "@/lib/campaigns/contracts";
import type { EvidenceExportLink, EvidenceExportView } from "@/lib/evidence-sealing/export-contracts";

/**
 * One campaign: its definition, the acts this person's role allows in its state (the server
 * still decides, and its refusal is shown as it says it), live progress polled every few
 * seconds while it can move (targets by state, outcomes, scores so far, the pace achieved, an
 * ETA), the link to its calls in the list (`/?campaign=<id>`), the results CSV and the bulk
 * evidence export of its sealed calls.
 */

const POLL_MS = 3000;
const LIVE = new Set(["scheduled", "running", "paused"]);
const ACT_LABEL = { launch: "Launch", pause: "Pause", resume: "Resume", cancel: "Cancel campaign" } as const;

export function CampaignDetail({ orgId, id, may, onChanged, onDeleted }: {
  orgId: string;
  id: string;
  may: { manage: boolean; pause: boolean; export: boolean };
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const path = `/api/campaigns/${encodeURIComponent(id)}`;
  const campaign = useSWR<{ campaign: CampaignView }, ApiError>([path, orgId] as const, swrFetcher);
  const c = campaign.data?.campaign;
  const progress = useSWR<{ progress: CampaignProgress }, ApiError>(c && c.state !== "draft" ? ([`${path}/progress`, orgId] as const) : null, swrFetcher, {
    refreshInterval: (latest) => (!latest || LIVE.has(latest.progress.state) ? POLL_MS : 0),
  });
  const p = progress.data?.progress;
  // The runner moves the state (scheduled → running → completed): follow it from the progress.
  const stateNow = p?.state ?? c?.state;
  const moved = Boolean(c && p && p.state !== c.state);
  const { mutate: reload } = campaign;
  useEffect(() => {
    if (moved) void reload();
  }, [moved, reload]);
  const [act, setAct] = useState<{ busy: string | null; error: string | null; done: string | null }>({ busy: null, error: null, done: null });

  async function take(name: "launch" | "pause" | "resume" | "cancel" | "delete") {
    if (name === "cancel" && !window.confirm("Cancel this campaign? Waiting targets are not called; calls in progress end on their own.")) return;
    if (name === "delete" && !window.confirm("Delete this draft?")) return;
    setAct({ busy: name, error: null, done: null });
    try {
      if (name === "delete") {
        await apiFetch(path, { orgId, method: "DELETE" });
        onDeleted();
        return;
      }
      const res = await apiFetch<{ campaign: CampaignView; targets?: Record<string, number> }>(`${path}/${name}`, { orgId, method: "POST" });
      await campaign.mutate({ campaign: res.campaign }, { revalidate: false });
      void progress.mutate();
      onChanged();
      setAct({ busy: null, error: null, done: `${STATE_LABEL[res.campaign.state] ?? res.campaign.state}.` });
    } catch (err) {
      setAct({ busy: null, error: errorMessage(err), done: null });
    }
  }

  if (campaign.error) {
    return (
      <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-danger">
        <p>Could not load the campaign: {errorMessage(campaign.error)}</p>
        <button type="button" onClick={() => void campaign.mutate()} className={`${BUTTON_CLASS} mt-2`}>Retry</button>
      </div>
    );
  }
  if (!c) return <p role="status" className="text-muted">Loading the campaign…</p>;

  const acts = allowedActs(c.acts, may);
  const mods = (Object.keys(MODULATION_LABEL) as Modulation[]).filter((m) => c.modulations[m]);
  return (
    <section aria-labelledby={`campaign-${c.id}-title`} className="space-y-4" data-testid="campaign-detail" data-campaign-id={c.id}>
      <div className="flex flex-wrap items-center gap-3">
        <h3 id={`campaign-${c.id}-title`} className="text-base font-semibold">{c.name}</h3>
        <span className="rounded bg-slate-100 px-2 py-0.5 font-medium" data-testid="campaign-state" data-state={stateNow}>{STATE_LABEL[stateNow ?? c.state] ?? stateNow}</span>
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
        <dt className="text-muted">Targets</dt><dd>{"tags" in c.selection ? `Tagged ${c.selection.tags.join(" and ")}` : `${c.selection.targetIds.length} chosen`}</dd>
        <dt className="text-muted">Calls run</dt>
        <dd>{mods.length ? mods.map((m) => MODULATION_LABEL[m]).join(", ") : "A plain call"}{c.survey ? ` (survey v${c.survey.version})` : ""}{c.shopperScript ? ` (script v${c.shopperScript.version})` : ""}</dd>
        <dt className="text-muted">Schedule</dt>
        <dd>{c.schedule.startsAt.slice(0, 16).replace("T", " ")} to {c.schedule.endsAt.slice(0, 16).replace("T", " ")} UTC; {weeklyText(c.schedule.weekly)} on each target&apos;s clock (never outside 8:00–21:00 local){c.spread ? "; spread over the window" : ""}</dd>
        <dt className="text-muted">Pace</dt><dd>{paceText(c.pace.dialsPerSecond)}, at most {c.pace.maxLive} at once</dd>
        <dt className="text-muted">Retries</dt>
        <dd>{RETRIED.map((o) => `${RETRIED_LABEL[o]}: ${c.retry[o].maxAttempts} dials, ${Math.round(c.retry[o].backoffSeconds / 60)} min apart`).join("; ")}</dd>
      </dl>

      <div className="flex flex-wrap items-center gap-2">
        {acts.map((a) => (
          <button key={a} type="button" className={a === "launch" ? PRIMARY_CLASS : BUTTON_CLASS} disabled={act.busy !== null} onClick={() => void take(a)}>{ACT_LABEL[a]}</button>
        ))}
        {may.manage && c.state === "draft" ? <button type="button" className={BUTTON_CLASS} disabled={act.busy !== null} onClick={() => void take("delete")}>Delete draft</button> : null}
        {c.state !== "draft" ? (
          <>
            <a href={`/?campaign=${encodeURIComponent(c.id)}`} className={BUTTON_CLASS} data-testid="campaign-show-calls">Show calls</a>
            <a href={`${path}/results.csv`} download className={BUTTON_CLASS}>Results CSV</a>
            {may.export ? <EvidenceExport orgId={orgId} path={path} /> : null}
          </>
        ) : null}
      </div>
      <div className="min-h-5">
        <p role="alert" className="text-danger">{act.error}</p>
        <p role="status" className="text-green-800">{act.done}</p>
      </div>

      {c.state === "draft" ? (
        <p className="text-muted">A draft dials nobody. Launching fixes its targets and waits for its start.</p>
      ) : progress.error ? (
        <p role="alert" className="text-danger">Could not load the progress: {errorMessage(progress.error)}</p>
      ) : !p ? (
        <p role="status" className="text-muted">Loading the progress…</p>
      ) : (
        <Progress p={p} />
      )}
    </section>
  );
}

function Progress({ p }: { p: CampaignProgress }) {
  const targets = p.targets as Record<string, number>;
  const outcomes = p.outcomes as Record<string, number>;
  return (
    <div className="grid gap-4 sm:grid-cols-2" data-testid="campaign-progress">
      <table className="text-left">
        <caption className="text-left font-medium">Targets by state ({targets.total} in all)</caption>
        <tbody>
          {TARGET_STATE_LABEL.map(([k, label]) => (
            <tr key={k} className="border-t border-slate-100" data-testid={`targets-${k}`}>
              <th scope="row" className="pr-4 font-normal">{label}</th><td className="text-right tabular-nums">{targets[k] ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="text-left">
        <caption className="text-left font-medium">Dials by outcome ({outcomes.dials} dialled)</caption>
        <tbody>
          {OUTCOME_LABEL.map(([k, label]) => (
            <tr key={k} className="border-t border-slate-100" data-testid={`outcome-${k}`}>
              <th scope="row" className="pr-4 font-normal">{label}</th><td className="text-right tabular-nums">{outcomes[k] ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 sm:col-span-2">
        <dt className="text-muted">Scores so far</dt>
        <dd>{p.scores === null ? "None: no script ran, or your role or plan does not include results" : p.scores.scored === 0 ? "None scored yet"
          : `${p.scores.scored} scored, average ${p.scores.average?.toFixed(0)}% (from ${p.scores.min?.toFixed(0)}% to ${p.scores.max?.toFixed(0)}%)`}</dd>
        <dt className="text-muted">Pace achieved</dt>
        <dd data-testid="campaign-pace">{paceText(p.pace.lastMinute)} over the last minute, {paceText(p.pace.overall)} overall (asked {paceText(p.pace.asked)})</dd>
        <dt className="text-muted">Remaining</dt><dd>{p.remaining} {p.remaining === 1 ? "target" : "targets"}</dd>
        <dt className="text-muted">Estimated end</dt><dd>{etaText(p.eta, new Date(), p.state)}</dd>
      </dl>
    </div>
  );
}

/** The campaign's sealed calls as one bulk evidence export: started here, followed, downloaded by a fresh link. */
function EvidenceExport({ orgId, path }: { orgId: string; path: string }) {
  const [exportId, setExportId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useSWR<EvidenceExportView, ApiError>(exportId ? ([`/api/evidence/exports/${exportId}`, orgId] as const) : null, swrFetcher, {
    refreshInterval: (latest) => (!latest || latest.status === "queued" || latest.status === "running" ? 1000 : 0),
  });

  async function start() {
    setError(null);
    try {
      const created = await apiFetch<EvidenceExportView>(`${path}/evidence`, { orgId, method: "POST" });
      setExportId(created.id);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function download() {
    if (!exportId) return;
    try {
      const link = await apiFetch<EvidenceExportLink>(`/api/evidence/exports/${exportId}/link`, { orgId, method: "POST" });
      const a = document.createElement("a");
      a.href = link.url;
      a.download = `verbatim-evidence-export-${exportId}.zip`;
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const status = job.data?.status;
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      {status === "completed" ? (
        <button type="button" className={BUTTON_CLASS} onClick={() => void download()}>Download evidence</button>
      ) : (
        <button type="button" className={BUTTON_CLASS} disabled={status === "queued" || status === "running"} onClick={() => void start()}>
          {status === "queued" || status === "running" ? "Exporting evidence…" : "Export evidence"}
        </button>
      )}
      {status === "failed" ? <span role="alert" className="text-danger">The export failed: {job.data?.error}</span> : null}
      {error ? <span role="alert" className="text-danger">{error}</span> : null}
    </span>
  );
}
