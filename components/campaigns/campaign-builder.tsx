"use client";

import { useId, useState, type FormEvent } from "react";
import useSWR from "swr";
import { apiFetch, errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import { BUTTON_CLASS, INPUT_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { parseTags } from "@/components/targets/target-text";
import {
  campaignBody, defaultFields, MODULATION_LABEL, RETRIED, RETRIED_LABEL, WEEKDAY_LABEL, WEEKDAYS,
  type BuilderFields, type Modulation,
} from "@/components/campaigns/campaign-form";
import type { CampaignView } from "@/lib/campaigns/contracts";
import type { LibrarySummary } from "@/lib/surveys/contracts";
import type { TargetListResponse } from "@/lib/targets/contracts";

/**
 * Build a campaign (owners and admins): name; what the calls run (modulations, and which
 * published survey or shopper script version, frozen when the draft is saved); the targets, by
 * tags or picked one by one; the schedule and its weekly window on each target's own clock
 * (9:00–17:00 on weekdays unless changed, and never outside 8:00–21:00 local); the pace; the
 * retries per outcome; the spread. Saves a draft: launching is a separate, deliberate act.
 */
export function CampaignBuilder({ orgId, onCancel, onCreated }: { orgId: string; onCancel: () => void; onCreated: (c: CampaignView) => void }) {
  const id = useId();
  const [f, setF] = useState<BuilderFields>(() => defaultFields(new Date()));
  const [tagText, setTagText] = useState("");
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const set = <K extends keyof BuilderFields>(key: K, value: BuilderFields[K]) => setF((x) => ({ ...x, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setState({ busy: true, error: null });
    const fields: BuilderFields = f.selection.kind === "tags" ? { ...f, selection: { kind: "tags", tags: parseTags(tagText) } } : f;
    try {
      const { campaign } = await apiFetch<{ campaign: CampaignView }>("/api/campaigns", { orgId, method: "POST", body: campaignBody(fields) });
      onCreated(campaign);
    } catch (err) {
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  const num = (value: string) => (value === "" ? Number.NaN : Number(value));
  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`} className="space-y-4 rounded border border-slate-200 bg-slate-50 p-4" data-testid="campaign-builder">
      <h3 id={`${id}-title`} className="text-base font-semibold">New campaign</h3>
      <div>
        <label htmlFor={`${id}-name`} className="block font-medium">Name</label>
        <input id={`${id}-name`} value={f.name} onChange={(e) => set("name", e.target.value)} required maxLength={200} className={INPUT_CLASS} />
      </div>

      <fieldset>
        <legend className="font-medium">What the calls run</legend>
        <p className="text-xs text-muted">The survey or script version is frozen when the draft is saved, like a call&apos;s snapshot.</p>
        <ul className="mt-1 space-y-1">
          {(Object.keys(MODULATION_LABEL) as Modulation[]).map((m) => (
            <li key={m}>
              <label className="inline-flex items-center gap-2">
                <input type="checkbox" checked={f.modulations[m]} onChange={(e) => set("modulations", { ...f.modulations, [m]: e.target.checked })} />
                {MODULATION_LABEL[m]}
              </label>
              {m === "survey" && f.modulations.survey ? (
                <VersionPick orgId={orgId} kind="survey" value={f.surveyVersion} onChange={(v) => set("surveyVersion", v)} />
              ) : m === "shopperScript" && f.modulations.shopperScript ? (
                <VersionPick orgId={orgId} kind="shopperScript" value={f.shopperScriptVersion} onChange={(v) => set("shopperScriptVersion", v)} />
              ) : null}
            </li>
          ))}
        </ul>
      </fieldset>

      <fieldset>
        <legend className="font-medium">Targets</legend>
        <div className="mt-1 flex flex-wrap gap-4">
          <label className="inline-flex items-center gap-2">
            <input type="radio" name={`${id}-sel`} checked={f.selection.kind === "tags"} onChange={() => set("selection", { kind: "tags", tags: [] })} /> By tags
          </label>
          <label className="inline-flex items-center gap-2">
            <input type="radio" name={`${id}-sel`} checked={f.selection.kind === "targets"} onChange={() => set("selection", { kind: "targets", targetIds: [] })} /> Pick targets
          </label>
        </div>
        {f.selection.kind === "tags" ? (
          <div className="mt-2">
            <label htmlFor={`${id}-tags`} className="block">Targets carrying every one of these tags</label>
            <input id={`${id}-tags`} value={tagText} onChange={(e) => setTagText(e.target.value)} maxLength={1000} aria-describedby={`${id}-sel-note`} className={INPUT_CLASS} />
          </div>
        ) : (
          <TargetPick orgId={orgId} chosen={f.selection.targetIds} onChange={(ids) => set("selection", { kind: "targets", targetIds: ids })} />
        )}
        <p id={`${id}-sel-note`} className="mt-1 text-xs text-muted">The targets are fixed at launch; do-not-call targets and invalid numbers are skipped then.</p>
      </fieldset>

      <fieldset>
        <legend className="font-medium">Schedule</legend>
        <div className="mt-1 grid gap-3 sm:grid-cols-2">
          <div>
            <label htmlFor={`${id}-start`} className="block">Starts</label>
            <input id={`${id}-start`} type="datetime-local" value={f.startsAt} onChange={(e) => set("startsAt", e.target.value)} required className={INPUT_CLASS} />
          </div>
          <div>
            <label htmlFor={`${id}-end`} className="block">Ends</label>
            <input id={`${id}-end`} type="datetime-local" value={f.endsAt} onChange={(e) => set("endsAt", e.target.value)} required className={INPUT_CLASS} />
          </div>
        </div>
        <fieldset className="mt-2">
          <legend className="text-sm">Calling days</legend>
          <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
            {WEEKDAYS.map((d) => (
              <label key={d} className="inline-flex items-center gap-1.5">
                <input type="checkbox" checked={f.days[d]} onChange={(e) => set("days", { ...f.days, [d]: e.target.checked })} />
                {WEEKDAY_LABEL[d]}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="mt-2 grid grid-cols-2 gap-3">
          <div>
            <label htmlFor={`${id}-from`} className="block">Calling from (target&apos;s time)</label>
            <input id={`${id}-from`} type="time" value={f.from} onChange={(e) => set("from", e.target.value)} required aria-describedby={`${id}-tcpa`} className={INPUT_CLASS} />
          </div>
          <div>
            <label htmlFor={`${id}-to`} className="block">Calling until (target&apos;s time)</label>
            <input id={`${id}-to`} type="time" value={f.to} onChange={(e) => set("to", e.target.value)} required aria-describedby={`${id}-tcpa`} className={INPUT_CLASS} />
          </div>
        </div>
        <p id={`${id}-tcpa`} className="mt-1 text-xs text-muted">
          Read on each target&apos;s own clock. Whatever is set here, nobody is called before 8:00 or from 21:00 their local time (the TCPA&apos;s hours).
        </p>
      </fieldset>

      <fieldset>
        <legend className="font-medium">Pace</legend>
        <div className="mt-1 grid grid-cols-2 gap-3">
          <div>
            <label htmlFor={`${id}-rate`} className="block">Calls per second</label>
            <input id={`${id}-rate`} type="number" min={0.01} max={100} step={0.01} value={Number.isNaN(f.dialsPerSecond) ? "" : f.dialsPerSecond}
              onChange={(e) => set("dialsPerSecond", num(e.target.value))} required className={INPUT_CLASS} />
          </div>
          <div>
            <label htmlFor={`${id}-live`} className="block">Most at once</label>
            <input id={`${id}-live`} type="number" min={1} max={1000} step={1} value={Number.isNaN(f.maxLive) ? "" : f.maxLive}
              onChange={(e) => set("maxLive", num(e.target.value))} required className={INPUT_CLASS} />
          </div>
        </div>
      </fieldset>

      <table className="w-full text-left">
        <caption className="text-left font-medium">Retries per outcome</caption>
        <thead className="text-xs uppercase text-muted"><tr><th scope="col">Outcome</th><th scope="col">Dials at most</th><th scope="col">Wait before the next (minutes)</th></tr></thead>
        <tbody>
          {RETRIED.map((o) => (
            <tr key={o}>
              <th scope="row" className="pr-2 font-normal">{RETRIED_LABEL[o]}</th>
              <td className="pr-2">
                <input type="number" min={1} max={10} step={1} aria-label={`${RETRIED_LABEL[o]}: dials at most`} value={Number.isNaN(f.retry[o].maxAttempts) ? "" : f.retry[o].maxAttempts}
                  onChange={(e) => set("retry", { ...f.retry, [o]: { ...f.retry[o], maxAttempts: num(e.target.value) } })} className={INPUT_CLASS} />
              </td>
              <td>
                <input type="number" min={0} max={10080} step={1} aria-label={`${RETRIED_LABEL[o]}: minutes before the next dial`} value={Number.isNaN(f.retry[o].backoffMinutes) ? "" : f.retry[o].backoffMinutes}
                  onChange={(e) => set("retry", { ...f.retry, [o]: { ...f.retry[o], backoffMinutes: num(e.target.value) } })} className={INPUT_CLASS} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-xs text-muted">A retry also waits for the target&apos;s next calling window. One dial at most means never retried.</p>

      <label className="flex items-start gap-2">
        <input type="checkbox" checked={f.spread} onChange={(e) => set("spread", e.target.checked)} className="mt-1" />
        <span>Spread each target&apos;s call to a random moment of its window, so staff cannot anticipate it (shopper programs)</span>
      </label>

      <p role="alert" className="text-danger">{state.error}</p>
      <div className="flex gap-2">
        <button type="submit" className={PRIMARY_CLASS} disabled={state.busy}>Save draft</button>
        <button type="button" className={BUTTON_CLASS} onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

const LIBRARY = { survey: ["/api/surveys", "surveys", "Survey version"], shopperScript: ["/api/shopper-scripts", "shopperScripts", "Shopper script version"] } as const;

function VersionPick({ orgId, kind, value, onChange }: { orgId: string; kind: "survey" | "shopperScript"; value: string; onChange: (v: string) => void }) {
  const id = useId();
  const { data, error } = useSWR<Record<string, LibrarySummary[]>, ApiError>([LIBRARY[kind][0], orgId] as const, swrFetcher);
  const items = data?.[LIBRARY[kind][1]] ?? [];
  return (
    <div className="ml-6 mt-1">
      <label htmlFor={id} className="block text-xs">{LIBRARY[kind][2]}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className="mt-0.5 rounded border border-slate-300 px-2 py-1 text-xs">
        <option value="">The organization&apos;s default</option>
        {items.map((i) => <option key={i.id} value={`${i.id}:${i.latestVersion}`}>{i.title} v{i.latestVersion}</option>)}
      </select>
      {error ? <p role="alert" className="text-xs text-danger">{errorMessage(error)}</p> : null}
    </div>
  );
}

/** Pick targets one by one: search the saved targets, tick those to call. */
function TargetPick({ orgId, chosen, onChange }: { orgId: string; chosen: string[]; onChange: (ids: string[]) => void }) {
  const id = useId();
  const [q, setQ] = useState("");
  const { data, error } = useSWR<TargetListResponse, ApiError>([`/api/voice/targets?limit=100${q.trim() ? `&q=${encodeURIComponent(q.trim())}` : ""}`, orgId] as const, swrFetcher);
  const toggle = (tid: string, on: boolean) => onChange(on ? [...chosen, tid] : chosen.filter((x) => x !== tid));
  return (
    <div className="mt-2 space-y-1">
      <label htmlFor={`${id}-q`} className="block">Find targets</label>
      <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} className={INPUT_CLASS} />
      <p role="status" className="text-xs text-muted">{chosen.length} chosen</p>
      {error ? <p role="alert" className="text-danger">{errorMessage(error)}</p> : null}
      <ul aria-label="Saved targets to choose from" className="max-h-48 space-y-0.5 overflow-y-auto rounded border border-slate-200 bg-white p-2">
        {(data?.targets ?? []).map((t) => (
          <li key={t.id}>
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" checked={chosen.includes(t.id)} onChange={(e) => toggle(t.id, e.target.checked)} />
              {t.name} <span className="font-mono text-xs text-muted">{t.number}</span>{t.dnc ? <span className="text-xs text-danger">do not call (skipped)</span> : null}
            </label>
          </li>
        ))}
        {data && data.targets.length === 0 ? <li className="text-muted">No target matches.</li> : null}
      </ul>
    </div>
  );
}
