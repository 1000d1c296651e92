"use client";

import { useId, useState } from "react";
import { ApiError, errorMessage } from "@/components/shared/api-client";
import { BUTTON_CLASS, INPUT_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { postCsv } from "@/components/targets/post-csv";
import type { ImportPreview } from "@/lib/targets/contracts";

/**
 * CSV import as the API has it (docs/adr/0033): a file chosen or pasted is previewed (nothing is
 * saved), the rows it would save and the rows it refuses (with the reason per row) are shown,
 * and "Import" commits exactly that preview: the same text with the preview's token. If the file
 * or the saved targets changed meanwhile the API answers 409 `preview_stale`, and the panel
 * previews again so the person confirms what would now happen.
 */
export function TargetImport({ orgId, onClose, onImported }: { orgId: string; onClose: () => void; onImported: (count: number) => void }) {
  const id = useId();
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<{ text: string; result: ImportPreview } | null>(null);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  async function read(file: File | undefined) {
    if (!file) return;
    setPreview(null);
    setText(await file.text());
  }

  async function runPreview(csv = text) {
    setState({ busy: true, error: null });
    try {
      const result = await postCsv<ImportPreview>("/api/voice/targets/import?mode=preview", { orgId, csv });
      setPreview({ text: csv, result });
      setState({ busy: false, error: null });
    } catch (err) {
      setPreview(null);
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  async function commit() {
    if (!preview) return;
    setState({ busy: true, error: null });
    try {
      const done = await postCsv<ImportPreview>(`/api/voice/targets/import?mode=commit&token=${preview.result.token}`, { orgId, csv: preview.text });
      onImported(done.created ?? done.rows.length);
    } catch (err) {
      if (err instanceof ApiError && err.code === "preview_stale") {
        await runPreview(preview.text);
        setState({ busy: false, error: `${err.message} Here is what it would import now; confirm again.` });
        return;
      }
      setState({ busy: false, error: errorMessage(err) });
    }
  }

  const rows = preview?.result.rows ?? [];
  const refused = preview?.result.refused ?? [];
  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3 rounded border border-slate-200 bg-slate-50 p-4" data-testid="target-import">
      <h3 id={`${id}-title`} className="font-semibold">Import targets from CSV</h3>
      <p id={`${id}-hint`} className="text-xs text-muted">
        A header row naming the columns: <code>name</code> and <code>number</code> (required), <code>time_zone</code>, <code>tags</code> (separated by
        semicolons), <code>notes</code>, <code>dnc</code> (yes or no). At most 2,000 rows and 256 KiB. Nothing is saved until you confirm the preview.
      </p>
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${id}-file`} className="block font-medium">CSV file</label>
          <input id={`${id}-file`} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void read(e.target.files?.[0])} aria-describedby={`${id}-hint`} className="mt-1 block w-full" />
        </div>
        <div>
          <label htmlFor={`${id}-text`} className="block font-medium">Or paste CSV</label>
          <textarea id={`${id}-text`} value={text} onChange={(e) => { setText(e.target.value); setPreview(null); }} rows={4} spellCheck={false}
            aria-describedby={`${id}-hint`} className={`${INPUT_CLASS} font-mono text-xs`} />
        </div>
      </div>
      <div className="flex flex-wrap gap-2">
        <button type="button" className={PRIMARY_CLASS} disabled={state.busy || !text.trim()} onClick={() => void runPreview()}>Preview import</button>
        <button type="button" className={BUTTON_CLASS} onClick={onClose}>Cancel import</button>
      </div>
      <p role="alert" className="text-danger">{state.error}</p>

      {preview ? (
        <div className="space-y-3" data-testid="import-preview">
          <p role="status">{rows.length} {rows.length === 1 ? "row" : "rows"} to import, {refused.length} refused.</p>
          <div className="overflow-x-auto">
            <table className="w-full text-left" data-testid="import-valid">
              <caption className="text-left font-medium">Rows to import ({rows.length})</caption>
              <thead className="text-xs uppercase text-muted"><tr><th scope="col">Row</th><th scope="col">Name</th><th scope="col">Number</th><th scope="col">Time zone</th><th scope="col">Tags</th><th scope="col">Do-not-call</th></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.row} className="border-t border-slate-200">
                    <td>{r.row}</td><th scope="row" className="font-normal">{r.name}</th><td className="font-mono">{r.number}</td>
                    <td>{r.timeZone}{r.timeZoneDerived ? <span className="text-xs text-muted"> (from the number)</span> : null}</td>
                    <td>{r.tags.join(", ")}</td><td>{r.dnc ? "Yes" : "No"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {refused.length > 0 ? (
            <div className="overflow-x-auto">
              <table className="w-full text-left" data-testid="import-refused">
                <caption className="text-left font-medium text-danger">Refused rows ({refused.length}): not imported</caption>
                <thead className="text-xs uppercase text-muted"><tr><th scope="col">Row</th><th scope="col">Name</th><th scope="col">Number</th><th scope="col">Reason</th></tr></thead>
                <tbody>
                  {refused.map((r) => (
                    <tr key={r.row} className="border-t border-slate-200" data-code={r.code}>
                      <td>{r.row}</td><th scope="row" className="font-normal">{r.name}</th><td className="font-mono">{r.number}</td><td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <button type="button" className={PRIMARY_CLASS} disabled={state.busy || rows.length === 0} onClick={() => void commit()}>
            Import {rows.length} {rows.length === 1 ? "target" : "targets"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
