"use client";

import { useEffect, useId, useState } from "react";
import useSWR from "swr";
import { errorMessage, swrFetcher, type ApiError } from "@/components/shared/api-client";
import { utcText } from "@/components/targets/target-text";
import type { TargetListResponse, TargetView } from "@/lib/targets/contracts";

/**
 * Choose a saved target to call (the place-call form loads this when asked): a search over the
 * organization's targets, each a button. A target marked do-not-call is listed, marked, and
 * refused with who marked it and when: its number is not filled in.
 */
export function TargetPicker({ orgId, onPick, onClose }: { orgId: string; onPick: (target: TargetView) => void; onClose: () => void }) {
  const id = useId();
  const [q, setQ] = useState("");
  const [shown, setShown] = useState("");
  const [refused, setRefused] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setShown(q.trim()), 300);
    return () => clearTimeout(timer);
  }, [q]);
  const { data, error } = useSWR<TargetListResponse, ApiError>([`/api/voice/targets?limit=20${shown ? `&q=${encodeURIComponent(shown)}` : ""}`, orgId] as const, swrFetcher);

  function pick(t: TargetView) {
    if (t.dnc) {
      setRefused(`${t.name} is marked do-not-call${t.dncSetByEmail ? ` by ${t.dncSetByEmail}` : ""}${t.dncSetAt ? ` since ${utcText(t.dncSetAt)}` : ""}: it cannot be called from here. An owner or admin can clear the mark under Targets.`);
      return;
    }
    setRefused(null);
    onPick(t);
  }

  return (
    <div className="mt-2 space-y-2 rounded border border-slate-200 bg-slate-50 p-2 text-sm" data-testid="target-picker">
      <label htmlFor={`${id}-q`} className="block font-medium">Find a saved target</label>
      <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} autoFocus
        className="w-full rounded border border-slate-300 px-2 py-1" placeholder="Name, notes or number" />
      <p role="alert" className="text-danger">{refused}</p>
      {error ? <p role="alert" className="text-danger">{errorMessage(error)}</p> : null}
      <ul aria-label="Saved targets" className="max-h-56 space-y-1 overflow-y-auto">
        {(data?.targets ?? []).map((t) => (
          <li key={t.id}>
            <button type="button" onClick={() => pick(t)} aria-describedby={t.dnc ? `${id}-${t.id}-dnc` : undefined}
              className="w-full rounded border border-slate-200 bg-white px-2 py-1 text-left hover:bg-slate-100">
              <span className="font-medium">{t.name}</span> <span className="font-mono text-xs">{t.number}</span>
              {t.dnc ? <span id={`${id}-${t.id}-dnc`} className="ml-1 text-xs font-medium text-danger">do not call</span> : null}
            </button>
          </li>
        ))}
        {data && data.targets.length === 0 ? <li className="text-muted">No saved target matches.</li> : null}
        {!data && !error ? <li role="status" className="text-muted">Loading…</li> : null}
      </ul>
      <button type="button" onClick={onClose} className="rounded border border-slate-300 bg-white px-2 py-0.5">Close the list</button>
    </div>
  );
}
