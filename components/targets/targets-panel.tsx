"use client";

import { useEffect, useId, useState, type FormEvent } from "react";
import useSWRInfinite from "swr/infinite";
import { apiFetch, errorMessage, swrFetcher, type ApiError, type ApiKey } from "@/components/shared/api-client";
import { BUTTON_CLASS, INPUT_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { parseTags, targetQuery, utcText, zoneProbeCsv } from "@/components/targets/target-text";
import { postCsv } from "@/components/targets/post-csv";
import { TargetImport } from "@/components/targets/target-import";
import type { ImportPreview, TargetListResponse, TargetView, TargetWriteResponse } from "@/lib/targets/contracts";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";

/**
 * The organization's saved targets (docs/adr/0033), in the Targets dialog: the list with its
 * search, tag and do-not-call filters; adding and editing a target (owners, admins), its time
 * zone filled in from the number as the API derives it; marking do-not-call (owners, admins,
 * operators) and clearing a mark (owners, admins); CSV import with its preview; CSV export.
 * Controls follow the policy table, and what the API refuses anyway is shown as it says it.
 * Numbers come masked for viewers from the API. Loaded only when the dialog opens.
 */

const PAGE = 50;

function useDebounced<T>(value: T, ms = 300): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setShown(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

export function TargetsPanel({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
  const id = useId();
  const canWrite = allows(role, plan, "target.write");
  const canMark = allows(role, plan, "target.dnc");
  const [q, setQ] = useState("");
  const [tags, setTags] = useState("");
  const [dnc, setDnc] = useState<"" | "true" | "false">("");
  const query = targetQuery({ q: useDebounced(q), tags: useDebounced(tags), dnc });
  const list = useSWRInfinite<TargetListResponse, ApiError>(
    (index: number, previous: TargetListResponse | null): ApiKey | null => {
      if (index > 0 && !previous?.nextAfter) return null;
      const after = index > 0 ? `&after=${encodeURIComponent(previous!.nextAfter!)}` : "";
      return [`/api/voice/targets?${query ? query + "&" : ""}limit=${PAGE}${after}`, orgId];
    },
    swrFetcher,
  );
  const targets = list.data?.flatMap((p) => p.targets) ?? [];
  const more = Boolean(list.data?.at(-1)?.nextAfter);
  const [editing, setEditing] = useState<TargetView | "new" | null>(null);
  const [importing, setImporting] = useState(false);
  const [action, setAction] = useState<{ busy: string | null; error: string | null; done: string | null }>({ busy: null, error: null, done: null });

  async function mark(target: TargetView, on: boolean) {
    setAction({ busy: target.id, error: null, done: null });
    try {
      await apiFetch(`/api/voice/targets/${encodeURIComponent(target.id)}`, { orgId, method: "PATCH", body: { dnc: on } });
      setAction({ busy: null, error: null, done: on ? `${target.name} is marked do-not-call.` : `The do-not-call mark on ${target.name} is cleared.` });
      void list.mutate();
    } catch (err) {
      setAction({ busy: null, error: errorMessage(err), done: null });
    }
  }

  const saved = (message: string) => {
    setEditing(null);
    setAction({ busy: null, error: null, done: message });
    void list.mutate();
  };

  return (
    <div className="space-y-4" data-testid="targets-panel">
      <form role="search" aria-label="Search and filter targets" onSubmit={(e) => e.preventDefault()} className="grid gap-3 sm:grid-cols-[2fr_1.5fr_1fr_auto] sm:items-end">
        <div>
          <label htmlFor={`${id}-q`} className="block font-medium">Search</label>
          <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200}
            placeholder={allows(role, plan, "numbers.view") ? "Name, notes or number" : "Name or notes"} className={INPUT_CLASS} />
        </div>
        <div>
          <label htmlFor={`${id}-tags`} className="block font-medium">Tags</label>
          <input id={`${id}-tags`} type="search" value={tags} onChange={(e) => setTags(e.target.value)} maxLength={500}
            aria-describedby={`${id}-tags-hint`} className={INPUT_CLASS} />
          <p id={`${id}-tags-hint`} className="mt-1 text-xs text-muted">Targets with every tag; separate tags with commas.</p>
        </div>
        <div>
          <label htmlFor={`${id}-dnc`} className="block font-medium">Do-not-call</label>
          <select id={`${id}-dnc`} value={dnc} onChange={(e) => setDnc(e.target.value as typeof dnc)} className={INPUT_CLASS}>
            <option value="">Any</option>
            <option value="true">Marked do-not-call</option>
            <option value="false">Callable</option>
          </select>
        </div>
        <a href={`/api/voice/targets/export${query ? `?${query}` : ""}`} download className={`${BUTTON_CLASS} inline-block text-center`} data-testid="targets-export">
          Export CSV
        </a>
      </form>

      {canWrite ? (
        <div className="flex flex-wrap gap-2">
          <button type="button" className={PRIMARY_CLASS} onClick={() => { setImporting(false); setEditing("new"); }} disabled={editing === "new"}>Add a target</button>
          <button type="button" className={BUTTON_CLASS} onClick={() => { setEditing(null); setImporting(true); }} disabled={importing} aria-expanded={importing}>Import CSV…</button>
        </div>
      ) : (
        <p className="text-xs text-muted">Owners and admins add, edit and import targets{canMark ? "; you may mark a target do-not-call" : ""}.</p>
      )}

      {editing ? (
        <TargetForm key={editing === "new" ? "new" : editing.id} orgId={orgId} target={editing === "new" ? null : editing} onCancel={() => setEditing(null)} onSaved={saved} />
      ) : null}
      {importing ? <TargetImport orgId={orgId} onClose={() => setImporting(false)} onImported={(n) => { setImporting(false); saved(`Imported ${n} ${n === 1 ? "target" : "targets"}.`); }} /> : null}

      <div className="min-h-5">
        <p role="alert" className="text-danger">{action.error}</p>
        <p role="status" className="text-green-800">{action.done}</p>
      </div>

      {list.error ? (
        <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-danger">
          <p>Could not load the targets: {errorMessage(list.error)}</p>
          <button type="button" onClick={() => void list.mutate()} className={`${BUTTON_CLASS} mt-2`}>Retry</button>
        </div>
      ) : !list.data ? (
        <p role="status" className="text-muted">Loading the targets…</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full border-collapse text-left" data-testid="targets-table">
            <caption className="mb-2 text-left font-medium">
              Saved targets{query ? " matching the filters" : ""}: {targets.length}{more ? "+" : ""}
            </caption>
            <thead className="border-b border-slate-300 text-xs uppercase text-muted">
              <tr><th scope="col" className="py-1 pr-3">Name</th><th scope="col" className="pr-3">Number</th><th scope="col" className="pr-3">Time zone</th><th scope="col" className="pr-3">Tags</th><th scope="col" className="pr-3">Do-not-call</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {targets.length === 0 ? (
                <tr><td colSpan={6} className="py-3 text-muted">{query ? "No target matches these filters." : "No saved targets yet."}</td></tr>
              ) : targets.map((t) => (
                <tr key={t.id} className="border-b border-slate-100 align-top" data-testid="target-row" data-target-id={t.id}>
                  <th scope="row" className="py-1.5 pr-3 font-medium">{t.name}{t.notes ? <span className="block text-xs font-normal text-muted">{t.notes}</span> : null}</th>
                  <td className="pr-3 font-mono">{t.number}</td>
                  <td className="pr-3">{t.timeZone}</td>
                  <td className="pr-3">{t.tags.join(", ")}</td>
                  <td className="pr-3">
                    {t.dnc ? (
                      <span><strong className="text-danger">Do not call</strong>{t.dncSetAt ? <span className="block text-xs text-muted">since {utcText(t.dncSetAt)}{t.dncSetByEmail ? `, by ${t.dncSetByEmail}` : ""}</span> : null}</span>
                    ) : "No"}
                  </td>
                  <td className="whitespace-nowrap py-1 text-right">
                    {canWrite ? <button type="button" className={BUTTON_CLASS} onClick={() => { setImporting(false); setEditing(t); }}>Edit<span className="sr-only"> {t.name}</span></button> : null}{" "}
                    {t.dnc ? (
                      canWrite ? <button type="button" className={BUTTON_CLASS} disabled={action.busy === t.id} onClick={() => void mark(t, false)}>Clear mark<span className="sr-only"> on {t.name}</span></button> : null
                    ) : canMark ? (
                      <button type="button" className={BUTTON_CLASS} disabled={action.busy === t.id} onClick={() => void mark(t, true)}>Mark do-not-call<span className="sr-only">: {t.name}</span></button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {more ? (
            <button type="button" className={`${BUTTON_CLASS} mt-2`} disabled={list.isValidating} onClick={() => void list.setSize(list.size + 1)}>Show more targets</button>
          ) : null}
        </div>
      )}
    </div>
  );
}

/** Add (`target` null) or edit a target; owners and admins. The zone is asked of the API when the number changes. */
function TargetForm({ orgId, target, onCancel, onSaved }: { orgId: string; target: TargetView | null; onCancel: () => void; onSaved: (message: string) => void }) {
  const id = useId();
  const [name, setName] = useState(target?.name ?? "");
  const [number, setNumber] = useState(target?.number ?? "");
  const [timeZone, setTimeZone] = useState(target?.timeZone ?? "");
  const [tags, setTags] = useState(target?.tags.join(", ") ?? "");
  const [notes, setNotes] = useState(target?.notes ?? "");
  const [dnc, setDnc] = useState(false);
  const [zoneNote, setZoneNote] = useState<string | null>(null);
  const [probed, setProbed] = useState(target?.number ?? "");
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  /** What the API would derive for this number (a preview of a one-row import saves nothing). */
  async function deriveZone() {
    const n = number.trim();
    if (!n || n === probed) return;
    setProbed(n);
    try {
      const preview = await postCsv<ImportPreview>("/api/voice/targets/import?mode=preview", { orgId, csv: zoneProbeCsv(n) });
      const row = preview.rows[0];
      const refused = preview.refused[0];
      if (row?.timeZoneDerived) {
        setTimeZone(row.timeZone);
        setZoneNote(`${row.timeZone}, from the number. Change it if the target keeps another clock.`);
      } else if (refused?.code === "time_zone_required") {
        setZoneNote("This number's prefix spans several time zones: enter the target's.");
      } else if (refused) {
        setZoneNote(refused.reason);
      }
    } catch {
      // Deriving is a convenience: saving says what is wrong, if anything.
      setZoneNote(null);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setState({ busy: true, error: null });
    const fields = { name: name.trim(), number: number.trim(), timeZone: timeZone.trim(), tags: parseTags(tags), notes };
    try {
      if (target) {
        const changed: Record<string, unknown> = {};
        if (fields.name !== target.name) changed.name = fields.name;
        if (fields.number !== target.number) changed.number = fields.number;
        if (fields.timeZone && fields.timeZone !== target.timeZone) changed.timeZone = fields.timeZone;
        if (fields.tags.join(",") !== target.tags.join(",")) changed.tags = fields.tags;
        if (fields.notes !== target.notes) changed.notes = fields.notes;
        if (Object.keys(changed).length === 0) return onSaved("Nothing changed.");
        await apiFetch(`/api/voice/targets/${encodeURIComponent(target.id)}`, { orgId, method: "PATCH", body: changed });
        onSaved(`Saved ${fields.name}.`);
      } else {
        const res = await apiFetch<TargetWriteResponse>("/api/voice/targets", {
          orgId, method: "POST", body: { ...fields, timeZone: fields.timeZone || null, dnc },
        });
        onSaved(`Saved ${res.target.name}${res.timeZoneDerived ? ` (time zone ${res.target.timeZone}, from the number)` : ""}.`);
      }
    } catch (err) {
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`} className="space-y-3 rounded border border-slate-200 bg-slate-50 p-4" data-testid="target-form">
      <h3 id={`${id}-title`} className="font-semibold">{target ? `Edit ${target.name}` : "Add a target"}</h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${id}-name`} className="block font-medium">Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} className={INPUT_CLASS} />
        </div>
        <div>
          <label htmlFor={`${id}-number`} className="block font-medium">Number</label>
          <input id={`${id}-number`} type="tel" value={number} onChange={(e) => setNumber(e.target.value)} onBlur={() => void deriveZone()}
            required maxLength={32} placeholder="+15551234567" className={`${INPUT_CLASS} font-mono`} />
        </div>
        <div>
          <label htmlFor={`${id}-tz`} className="block font-medium">Time zone</label>
          <input id={`${id}-tz`} value={timeZone} onChange={(e) => setTimeZone(e.target.value)} maxLength={64} placeholder="America/New_York"
            aria-describedby={`${id}-tz-note`} className={INPUT_CLASS} />
          <p id={`${id}-tz-note`} role="status" className="mt-1 text-xs text-muted">{zoneNote ?? "Left empty, it comes from the number where the number names one."}</p>
        </div>
        <div>
          <label htmlFor={`${id}-tags`} className="block font-medium">Tags</label>
          <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} maxLength={1000} aria-describedby={`${id}-tags-hint`} className={INPUT_CLASS} />
          <p id={`${id}-tags-hint`} className="mt-1 text-xs text-muted">Location, region, team…, separated by commas.</p>
        </div>
        <div className="sm:col-span-2">
          <label htmlFor={`${id}-notes`} className="block font-medium">Notes</label>
          <textarea id={`${id}-notes`} value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={2000} rows={2} className={INPUT_CLASS} />
        </div>
        {target ? null : (
          <label className="inline-flex items-center gap-2">
            <input type="checkbox" checked={dnc} onChange={(e) => setDnc(e.target.checked)} /> Do not call this number
          </label>
        )}
      </div>
      <p role="alert" className="text-danger">{state.error}</p>
      <div className="flex gap-2">
        <button type="submit" className={PRIMARY_CLASS} disabled={state.busy}>{target ? "Save changes" : "Save target"}</button>
        <button type="button" className={BUTTON_CLASS} onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
