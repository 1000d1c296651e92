"use client";

import { useEffect, useId, useRef, useState } from "react";
import useSWR from "swr";
import { swrFetcher } from "@/components/shared/api-client";
import { activeFilterCount, type FilterKey, type Filters } from "@/components/calls/url-state";
import type { Capability, VoiceConfigResponse } from "@/lib/calls/contracts";
import { CALL_STATUSES, STATUS_LABEL } from "@/lib/calls/state-machine";
import type { LibrarySummary } from "@/lib/surveys/contracts";

/**
 * The call list's filter bar: a full-text search box, then the other filters behind "More
 * filters" (open whenever one of them is set). Everything writes to the URL (components/
 * url-state.ts), which is the list's SWR key: typing is debounced and replaces the history
 * entry, a discrete choice pushes one. Controls the role or plan withholds are disabled and say
 * who or which plan may use them (the voice-config response's capabilities). Loaded lazily.
 */

const DEBOUNCE_MS = 400;
const HAS_LABEL = { recording: "Recording", transcript: "Transcript", translation: "Translation" } as const;

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function listOf(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** Why a capability is withheld, or null when it is not (or not known yet: the server decides). */
export function withheld(cap: Capability | undefined, what: string): string | null {
  if (!cap || cap.allowed) return null;
  if (cap.reason === "plan") return cap.requiredPlan ? `Needs the ${capitalise(cap.requiredPlan)} plan` : "Not included in this plan";
  // Least to most authority reads naturally: "Analysts, operators, admins and owners can …".
  return `${capitalise(listOf([...cap.roles].reverse().map((r) => r + "s")))} can ${what}`;
}

/** `greets:no_evidence` → `greets — no evidence`: the id, then the outcome or answer after the last colon. */
function pairLabel(raw: string | undefined): string {
  const at = raw?.lastIndexOf(":") ?? -1;
  return raw && at > 0 ? `${raw.slice(0, at)} — ${raw.slice(at + 1).replace("_", " ")}` : (raw ?? "");
}

const csv = (value: string | undefined) => (value ? value.split(",").map((v) => v.trim()).filter(Boolean) : []);

/** A text filter typed into: local while typing, written to the URL after a pause. */
function useDebounced(value: string, write: (value: string) => void): [string, (value: string) => void] {
  const [local, setLocal] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const writeRef = useRef(write);
  useEffect(() => {
    writeRef.current = write;
  }, [write]);
  // The URL changed from elsewhere (Clear all, Back): show it (React's "adjust state on a prop change").
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setLocal(value);
  }
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return [
    local,
    (next) => {
      setLocal(next);
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => writeRef.current(next), DEBOUNCE_MS);
    },
  ];
}

const input = "mt-1 w-full rounded border border-slate-400 bg-white px-2 py-1 text-sm disabled:cursor-not-allowed disabled:bg-slate-100";

export function CallFilters({ orgId, filters, onChange, capabilities }: {
  orgId: string;
  filters: Filters;
  onChange: (filters: Filters, mode?: "push" | "replace") => void;
  capabilities?: VoiceConfigResponse["capabilities"];
}) {
  const id = useId();
  const set = (key: FilterKey, value: string | undefined, mode: "push" | "replace" = "push") => {
    const next: Filters = { ...filters };
    if (value) next[key] = value;
    else delete next[key];
    onChange(next, mode);
  };
  const write = (key: FilterKey) => (value: string) => set(key, value.trim() || undefined, "replace");

  const [q, setQ] = useDebounced(filters.q ?? "", write("q"));
  const [number, setNumber] = useDebounced(filters.number ?? "", write("number"));
  const [scoreMin, setScoreMin] = useDebounced(filters.scoreMin ?? "", write("scoreMin"));
  const [scoreMax, setScoreMax] = useDebounced(filters.scoreMax ?? "", write("scoreMax"));

  const searchWithheld = withheld(capabilities?.["recording.play"], "search transcripts");
  const contentWithheld = withheld(capabilities?.["recording.play"], "filter by recordings and transcripts");
  const translationWithheld = withheld(capabilities?.["translation.read"], "filter by translations");
  const resultsWithheld = withheld(capabilities?.["survey.read"], "filter by scores, scripts and surveys");
  const mayReadLibrary = capabilities ? capabilities["survey.read"].allowed : false;

  const others = activeFilterCount({ ...filters, q: undefined });
  const [open, setOpen] = useState(others > 0);
  const [counted, setCounted] = useState(others);
  if (counted !== others) {
    setCounted(others);
    if (others > 0) setOpen(true);
  }

  const statuses = csv(filters.status);
  const has = csv(filters.has);
  const toggle = (key: "status" | "has", list: string[], value: string, on: boolean) =>
    set(key, (on ? [...list, value] : list.filter((v) => v !== value)).join(",") || undefined);

  const total = activeFilterCount(filters);

  return (
    <div className="border-b border-slate-200 px-4 py-3 text-sm" data-testid="call-filters">
      <form role="search" aria-label="Search and filter calls" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor={`${id}-q`} className="block font-medium">Search transcripts</label>
        <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} disabled={Boolean(searchWithheld)}
          maxLength={200} placeholder={searchWithheld ? "" : "Words said in the call or its translations"}
          aria-describedby={searchWithheld ? `${id}-q-why` : undefined} className={input} />
        {searchWithheld ? <p id={`${id}-q-why`} className="mt-1 text-xs text-muted">{searchWithheld}</p> : null}

        {filters.campaign ? <CampaignFilter orgId={orgId} id={filters.campaign} onRemove={() => set("campaign", undefined)} /> : null}
        {/* Set by an insight's link (per tag): shown so the list's narrowing is never hidden, and removable. */}
        {filters.tag ? (
          <p className="mt-2 flex flex-wrap items-center gap-2" data-testid="filter-tag">
            <span>Calls to targets tagged <strong>{filters.tag}</strong></span>
            <button type="button" onClick={() => set("tag", undefined)} className="rounded border border-slate-400 bg-white px-2 py-0.5 text-xs hover:bg-slate-100">
              Remove<span className="sr-only"> the tag filter</span>
            </button>
          </p>
        ) : null}

        <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)} className="mt-2">
          <summary className="cursor-pointer font-medium">More filters{others > 0 ? ` (${others} set)` : ""}</summary>
          <div className="mt-2 grid grid-cols-2 gap-x-3 gap-y-2">
            <fieldset className="col-span-2">
              <legend className="font-medium">Status</legend>
              <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
                {CALL_STATUSES.map((s) => (
                  <label key={s} className="inline-flex items-center gap-1.5">
                    <input type="checkbox" checked={statuses.includes(s)} onChange={(e) => toggle("status", statuses, s, e.target.checked)} />
                    {STATUS_LABEL[s]}
                  </label>
                ))}
              </div>
            </fieldset>

            <div>
              <label htmlFor={`${id}-from`} className="block font-medium">From</label>
              <input id={`${id}-from`} type="date" value={filters.from?.slice(0, 10) ?? ""} onChange={(e) => set("from", e.target.value || undefined)} className={input} />
            </div>
            <div>
              <label htmlFor={`${id}-to`} className="block font-medium">To</label>
              <input id={`${id}-to`} type="date" value={filters.to?.slice(0, 10) ?? ""} onChange={(e) => set("to", e.target.value || undefined)} className={input} />
            </div>

            <div>
              <label htmlFor={`${id}-flow`} className="block font-medium">Flow</label>
              <select id={`${id}-flow`} value={filters.flow ?? ""} onChange={(e) => set("flow", e.target.value || undefined)} className={input}>
                <option value="">Any</option>
                <option value="direct">Direct</option>
                <option value="bridge">Bridge</option>
              </select>
            </div>
            <div>
              <label htmlFor={`${id}-number`} className="block font-medium">Number</label>
              <input id={`${id}-number`} type="search" inputMode="tel" value={number} maxLength={32} onChange={(e) => setNumber(e.target.value)}
                placeholder="Whole number" className={`${input} font-mono`} />
            </div>

            <fieldset className="col-span-2">
              <legend className="font-medium">Has</legend>
              <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
                {(Object.keys(HAS_LABEL) as (keyof typeof HAS_LABEL)[]).map((h) => {
                  const why = h === "translation" ? translationWithheld : contentWithheld;
                  return (
                    <label key={h} className={`inline-flex items-center gap-1.5 ${why ? "text-muted" : ""}`}>
                      <input type="checkbox" checked={has.includes(h)} disabled={Boolean(why)} aria-describedby={why ? (h === "translation" ? `${id}-tr-why` : `${id}-content-why`) : undefined}
                        onChange={(e) => toggle("has", has, h, e.target.checked)} />
                      {HAS_LABEL[h]}
                    </label>
                  );
                })}
              </div>
              {contentWithheld ? <p id={`${id}-content-why`} className="mt-1 text-xs text-muted">{contentWithheld}</p> : null}
              {translationWithheld ? <p id={`${id}-tr-why`} className="mt-1 text-xs text-muted">Translation: {translationWithheld}</p> : null}
            </fieldset>

            <fieldset className="col-span-2" disabled={Boolean(resultsWithheld)} aria-describedby={resultsWithheld ? `${id}-results-why` : undefined}>
              <legend className="font-medium">Shopper score and library</legend>
              <div className="grid grid-cols-2 gap-x-3 gap-y-2">
                <div>
                  <label htmlFor={`${id}-smin`} className="block">Score from (%)</label>
                  <input id={`${id}-smin`} type="number" min={0} max={100} step={1} value={scoreMin} onChange={(e) => setScoreMin(e.target.value)} className={input} />
                </div>
                <div>
                  <label htmlFor={`${id}-smax`} className="block">Score to (%)</label>
                  <input id={`${id}-smax`} type="number" min={0} max={100} step={1} value={scoreMax} onChange={(e) => setScoreMax(e.target.value)} className={input} />
                </div>
                <LibrarySelect orgId={orgId} kind="script" enabled={mayReadLibrary} value={filters.script} onChange={(v) => set("script", v)} />
                <LibrarySelect orgId={orgId} kind="survey" enabled={mayReadLibrary} value={filters.survey} onChange={(v) => set("survey", v)} />
              </div>
              {/* Set by an insight's link (docs/adr/0036): shown so the list's narrowing is never hidden, and removable. */}
              {(["criterion", "answer"] as const).map((key) => filters[key] ? (
                <p key={key} className="mt-2 flex items-center gap-2" data-testid={`filter-${key}`}>
                  <span>{key === "criterion" ? "Rubric criterion" : "Survey answer"}: <strong>{pairLabel(filters[key])}</strong></span>
                  <button type="button" onClick={() => set(key, undefined)} className="rounded border border-slate-400 bg-white px-2 py-0.5 text-xs hover:bg-slate-100">
                    Remove<span className="sr-only"> the {key === "criterion" ? "rubric criterion" : "survey answer"} filter</span>
                  </button>
                </p>
              ) : null)}
              {resultsWithheld ? <p id={`${id}-results-why`} className="mt-1 text-xs text-muted">{resultsWithheld}</p> : null}
            </fieldset>
          </div>
        </details>

        <div className="mt-2 flex items-center justify-between gap-2">
          <span className="text-xs text-muted" data-testid="active-filters">{total === 0 ? "No filters" : `${total} filter${total === 1 ? "" : "s"} set`}</span>
          <button type="button" onClick={() => onChange({}, "push")} disabled={total === 0}
            className="rounded border border-slate-400 bg-white px-2.5 py-1 font-medium hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-60">
            Clear all
          </button>
        </div>
      </form>
    </div>
  );
}

/** The campaign the list is narrowed to (its "Show calls" link), by name, with a way out. */
function CampaignFilter({ orgId, id, onRemove }: { orgId: string; id: string; onRemove: () => void }) {
  const { data, error } = useSWR<{ campaign: { name: string } }>([`/api/campaigns/${encodeURIComponent(id)}`, orgId] as const, swrFetcher);
  return (
    <p className="mt-2 flex flex-wrap items-center gap-2" data-testid="campaign-filter">
      <span>Calls of the campaign <strong>{data ? data.campaign.name : error ? "(not found)" : "…"}</strong></span>
      <button type="button" onClick={onRemove} className="rounded border border-slate-400 bg-white px-2 py-0.5 text-xs font-medium hover:bg-slate-100">
        Remove the campaign filter
      </button>
    </p>
  );
}

const LIBRARY = {
  script: { path: "/api/shopper-scripts", field: "shopperScripts", label: "Shopper script run" },
  survey: { path: "/api/surveys", field: "surveys", label: "Survey run" },
} as const;

/** The organization's scripts or surveys, asked for only when this person may read them. */
function LibrarySelect({ orgId, kind, enabled, value, onChange }: {
  orgId: string;
  kind: "script" | "survey";
  enabled: boolean;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
}) {
  const id = useId();
  const spec = LIBRARY[kind];
  const { data, error } = useSWR<Record<string, LibrarySummary[]>>(enabled ? ([spec.path, orgId] as const) : null, swrFetcher);
  const items = data?.[spec.field] ?? [];
  return (
    <div>
      <label htmlFor={id} className="block">{spec.label}</label>
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value || undefined)} disabled={!enabled} className={input}>
        <option value="">Any</option>
        {/* A deep link may name one not (or no longer) listed: keep it selectable. */}
        {value && !items.some((i) => i.id === value) ? <option value={value}>{data ? "Not in the library" : "Loading…"}</option> : null}
        {items.map((i) => <option key={i.id} value={i.id}>{i.title}</option>)}
      </select>
      {error ? <p role="alert" className="mt-1 text-xs text-danger">Could not load the list.</p> : null}
    </div>
  );
}
