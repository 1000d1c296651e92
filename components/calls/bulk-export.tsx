"use client";

import { useCallback, useRef, useState } from "react";
import useSWR from "swr";
import { apiFetch, ApiError, errorMessage, swrFetcher, type ApiKey } from "@/components/shared/api-client";
import type { Filters } from "@/components/calls/url-state";
import type { EvidenceExportLink, EvidenceExportList, EvidenceExportPreview, EvidenceExportView } from "@/lib/evidence-sealing/export-contracts";

/**
 * Bulk evidence export (issue 11, docs/adr/0020) for owners, admins and analysts: "Export
 * evidence…" opens a modal dialog that counts the sealed calls the call list's current filters
 * select, starts one export (an archive built by a job), shows its progress while it runs
 * (polled each second; the API is the truth), cancels it, and offers the archive for download
 * through a fresh short-lived link fetched on each click. Lists the member's recent exports.
 * Its own module: the host loads it lazily.
 */

const ACTIVE = new Set<EvidenceExportView["status"]>(["queued", "running"]);
const STATUS_LABEL: Record<EvidenceExportView["status"], string> = {
  queued: "Queued",
  running: "Running",
  completed: "Ready",
  failed: "Failed",
  canceled: "Canceled",
  expired: "Expired",
};

/** `2026-11-30T14:05:00Z` → `2026-11-30 14:05 UTC`: the same text on every machine. */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** `filter`: the call list's filters as the URL holds them (the export parses them as GET /api/calls does). */
export function BulkExport({ orgId, filter }: { orgId: string; filter: Filters }) {
  const opener = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);

  function show() {
    setOpen(true);
    dialog.current?.showModal();
  }

  return (
    <>
      <button ref={opener} type="button" onClick={show} data-testid="bulk-export-open"
        className="rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100">
        Export evidence…
      </button>
      <dialog ref={dialog} aria-labelledby="bulk-export-title" data-testid="bulk-export-dialog"
        onClose={() => {
          setOpen(false);
          opener.current?.focus();
        }}
        className="m-auto w-[min(34rem,95vw)] rounded-lg border border-slate-200 p-0 shadow-lg backdrop:bg-slate-900/40">
        {open ? <ExportPanel orgId={orgId} filter={filter} onClose={() => dialog.current?.close()} /> : null}
      </dialog>
    </>
  );
}

/** The default export, so the host's `lazy(() => import(...))` needs no adapter (page weight). */
export default BulkExport;

function ExportPanel({ orgId, filter, onClose }: { orgId: string; filter: Filters; onClose: () => void }) {
  const query = filter;
  const previewKey = ["/api/evidence/exports?preview", orgId, JSON.stringify(query)] as const;
  const preview = useSWR<EvidenceExportPreview, ApiError>(previewKey, () =>
    apiFetch<EvidenceExportPreview>("/api/evidence/exports", { orgId, method: "POST", body: { filter: query, dryRun: true } }),
  );
  const listKey: ApiKey = ["/api/evidence/exports", orgId];
  const recent = useSWR<EvidenceExportList, ApiError>(listKey, swrFetcher);
  const [startedId, setActiveId] = useState<string | null>(null);
  // Reopened while an export still runs: show its progress again.
  const activeId = startedId ?? recent.data?.exports.find((e) => ACTIVE.has(e.status))?.id ?? null;
  const [start, setStart] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  async function begin() {
    setStart({ busy: true, error: null });
    try {
      const created = await apiFetch<EvidenceExportView>("/api/evidence/exports", { orgId, method: "POST", body: { filter: query } });
      setActiveId(created.id);
      setStart({ busy: false, error: null });
      void recent.mutate();
    } catch (err) {
      setStart({ busy: false, error: errorMessage(err) });
    }
  }

  return (
    <div className="space-y-4 p-5 text-sm">
      <div className="flex items-start justify-between gap-4">
        <h2 id="bulk-export-title" className="text-base font-semibold">Export evidence</h2>
        <button type="button" onClick={onClose} className="rounded px-2 py-0.5 text-muted hover:bg-slate-100" aria-label="Close">✕</button>
      </div>

      <section aria-label="Selection" className="space-y-2">
        {preview.error ? (
          <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-danger">
            <p>{errorMessage(preview.error)}</p>
            <button type="button" onClick={() => void preview.mutate()} className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium hover:bg-red-100">Retry</button>
          </div>
        ) : !preview.data ? (
          <p role="status" className="text-muted">Counting sealed calls…</p>
        ) : (
          <p data-testid="bulk-export-count">
            The current filters select <strong>{preview.data.total}</strong> sealed {preview.data.total === 1 ? "call" : "calls"}. Each bundle in the
            archive verifies offline with <code>npm run verify</code>, and each export is on the custody record.
          </p>
        )}
        {activeId === null ? (
          <button type="button" onClick={() => void begin()} disabled={!preview.data || start.busy}
            className="rounded bg-blue-700 px-3 py-1.5 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
            {start.busy ? "Starting…" : "Start export"}
          </button>
        ) : null}
        {start.error ? (
          <div role="alert" className="text-danger">
            <p>{start.error}</p>
            <button type="button" onClick={() => void begin()} className="mt-1 rounded border border-red-300 px-3 py-1 font-medium hover:bg-red-50">Try again</button>
          </div>
        ) : null}
      </section>

      {activeId ? <ActiveExport key={activeId} orgId={orgId} id={activeId} onSettled={() => void recent.mutate()} onRestart={() => void begin()} /> : null}

      <section aria-labelledby="bulk-export-recent" className="border-t border-slate-200 pt-3">
        <h3 id="bulk-export-recent" className="mb-2 font-medium">Your recent exports</h3>
        {recent.error ? (
          <p role="alert" className="text-danger">
            {errorMessage(recent.error)}{" "}
            <button type="button" onClick={() => void recent.mutate()} className="underline">Retry</button>
          </p>
        ) : !recent.data ? (
          <p className="text-muted">Loading…</p>
        ) : recent.data.exports.length === 0 ? (
          <p className="text-muted">None yet.</p>
        ) : (
          <ul className="space-y-1" data-testid="bulk-export-recent">
            {recent.data.exports.map((e) => (
              <li key={e.id} className="flex flex-wrap items-center gap-x-3 gap-y-1" data-export-id={e.id}>
                <span className="font-mono text-xs text-muted">{utc(e.createdAt)}</span>
                <span>{e.total} {e.total === 1 ? "call" : "calls"}</span>
                <span data-testid="bulk-export-status">{STATUS_LABEL[e.status]}{ACTIVE.has(e.status) ? ` (${e.done} of ${e.total})` : ""}</span>
                {e.status === "completed" ? <DownloadButton orgId={orgId} exportView={e} compact /> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function ActiveExport({ orgId, id, onSettled, onRestart }: { orgId: string; id: string; onSettled: () => void; onRestart: () => void }) {
  const settled = useRef(false);
  const { data, error, mutate } = useSWR<EvidenceExportView, ApiError>([`/api/evidence/exports/${id}`, orgId] as const, swrFetcher, {
    refreshInterval: (latest) => (!latest || ACTIVE.has(latest.status) ? 1000 : 0),
    onSuccess: (latest) => {
      if (!ACTIVE.has(latest.status) && !settled.current) {
        settled.current = true;
        onSettled();
      }
    },
  });
  const [cancel, setCancel] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  async function stop() {
    setCancel({ busy: true, error: null });
    try {
      await mutate(await apiFetch<EvidenceExportView>(`/api/evidence/exports/${id}/cancel`, { orgId, method: "POST" }), { revalidate: false });
      setCancel({ busy: false, error: null });
    } catch (err) {
      setCancel({ busy: false, error: errorMessage(err) });
      void mutate();
    }
  }

  if (error && !data) {
    return (
      <div role="alert" className="text-danger">
        <p>Could not read the export&apos;s progress: {errorMessage(error)}</p>
        <button type="button" onClick={() => void mutate()} className="mt-1 rounded border border-red-300 px-3 py-1 font-medium">Retry</button>
      </div>
    );
  }
  if (!data) return <p role="status" className="text-muted">Starting…</p>;
  const percent = data.total > 0 ? Math.round((data.done / data.total) * 100) : 0;
  return (
    <section aria-label="Export progress" className="space-y-2" data-testid="bulk-export-active" data-status={data.status}>
      <div role="progressbar" aria-label="Calls exported" aria-valuemin={0} aria-valuemax={data.total} aria-valuenow={data.done}
        aria-valuetext={`${data.done} of ${data.total} calls`} className="h-2 w-full overflow-hidden rounded bg-slate-200">
        <div className="h-full bg-blue-700 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
      <p aria-live="polite" data-testid="bulk-export-progress">
        {data.done} of {data.total} calls · {STATUS_LABEL[data.status]}
      </p>
      {ACTIVE.has(data.status) ? (
        <button type="button" onClick={() => void stop()} disabled={cancel.busy}
          className="rounded border border-slate-300 px-3 py-1 font-medium hover:bg-slate-100 disabled:opacity-60">
          {cancel.busy ? "Canceling…" : "Cancel export"}
        </button>
      ) : null}
      {cancel.error ? <p role="alert" className="text-danger">{cancel.error}</p> : null}
      {data.status === "completed" ? <DownloadButton orgId={orgId} exportView={data} /> : null}
      {data.status === "failed" ? (
        <div role="alert" className="text-danger">
          <p>The export failed: {data.error}</p>
          <button type="button" onClick={onRestart} className="mt-1 rounded border border-red-300 px-3 py-1 font-medium hover:bg-red-50">Try again</button>
        </div>
      ) : null}
      {data.status === "canceled" ? <p className="text-muted">Canceled; nothing was kept.</p> : null}
    </section>
  );
}

/** A fresh link on every click (links last minutes), followed as a download. */
function DownloadButton({ orgId, exportView, compact = false }: { orgId: string; exportView: EvidenceExportView; compact?: boolean }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const go = useCallback(async () => {
    setState({ busy: true, error: null });
    try {
      const link = await apiFetch<EvidenceExportLink>(`/api/evidence/exports/${exportView.id}/link`, { orgId, method: "POST" });
      const a = document.createElement("a");
      a.href = link.url;
      a.download = `verbatim-evidence-export-${exportView.id}.zip`;
      document.body.append(a);
      a.click();
      a.remove();
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: errorMessage(err) });
    }
  }, [orgId, exportView.id]);
  const expires = exportView.expiresAt ? utc(exportView.expiresAt) : null;
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <button type="button" onClick={() => void go()} disabled={state.busy} data-testid={compact ? undefined : "bulk-export-download"}
        className={compact ? "underline disabled:opacity-60" : "rounded bg-blue-700 px-3 py-1.5 font-medium text-white hover:bg-blue-800 disabled:opacity-60"}>
        {state.busy ? "Preparing…" : compact ? "Download" : `Download archive${exportView.bytes ? ` (${Math.max(1, Math.round(exportView.bytes / 1024))} KB)` : ""}`}
      </button>
      {expires && !compact ? <span className="text-xs text-muted">Available until {expires}</span> : null}
      {state.error ? (
        <span role="alert" className="text-danger">
          {state.error} <button type="button" onClick={() => void go()} className="underline">Retry</button>
        </span>
      ) : null}
    </span>
  );
}
