"use client";

import { useEffect, useId, useRef, useState } from "react";
import useSWR from "swr";
import { formatTime } from "@/components/calls/parts";
import { pageHref } from "@/components/calls/url-state";
import { apiFetch, ApiError, errorMessage, swrFetcher } from "@/components/shared/api-client";
import { LoadError } from "@/components/shared/load-error";
import { BUTTON_CLASS, PRIMARY_CLASS } from "@/components/shared/modal-dialog";
import { allows, type Plan, type Role } from "@/lib/rbac/policy";
import type { RetentionPolicyView, RetentionPreview } from "@/lib/retention/contracts";
import { POLICY_KIND_LABELS, POLICY_KINDS, type PolicyKind } from "@/lib/retention/kinds";

/**
 * Retention policies per kind of content (docs/adr/0037). Everyone who reads retention sees
 * them; owners and admins change them in two steps, as the API has it: "Preview changes" asks
 * what the changed policies would delete now (counts per kind, the calls, how many a hold keeps)
 * and changes nothing; "Apply" sends the same changes with the preview's token. Editing again
 * drops the preview. When the server answers that the preview expired or no longer holds, its
 * message is shown and the panel previews again, so the person confirms what would now happen.
 * Only the changed kinds are sent: a change someone else made meanwhile to another kind makes
 * the preview stale instead of being overwritten unseen.
 */

type Draft = Record<PolicyKind, string>;
type Change = { kind: PolicyKind; keepDays: number | null };

const keepText = (days: number | null) => (days === null ? "Keep" : `${days} ${days === 1 ? "day" : "days"}`);
const draftOf = (policies: RetentionPolicyView[]): Draft =>
  Object.fromEntries(POLICY_KINDS.map((k) => [k, String(policies.find((p) => p.kind === k)?.keepDays ?? "")])) as Draft;

/** The kinds whose draft differs from the stored policy, or the first problem with the draft. */
function changesOf(draft: Draft, policies: RetentionPolicyView[]): { changes: Change[]; problem: string | null } {
  const changes: Change[] = [];
  for (const kind of POLICY_KINDS) {
    const text = draft[kind].trim();
    const days = text === "" ? null : Number(text);
    if (days !== null && !(Number.isInteger(days) && days >= 1 && days <= 36_500)) {
      return { changes: [], problem: `${POLICY_KIND_LABELS[kind]}: a whole number of days from 1 to 36500, or empty to keep.` };
    }
    if (days !== (policies.find((p) => p.kind === kind)?.keepDays ?? null)) changes.push({ kind, keepDays: days });
  }
  return { changes, problem: null };
}

export function PoliciesPanel({ orgId, role, plan }: { orgId: string; role: Role; plan: Plan }) {
  const id = useId();
  const manage = allows(role, plan, "retention.manage");
  const list = useSWR<{ policies: RetentionPolicyView[] }, ApiError>(["/api/retention/policies", orgId] as const, swrFetcher);
  const policies = list.data?.policies;
  // The person's edits; null until they edit (the stored policies show until then).
  const [edited, setEdited] = useState<Draft | null>(null);
  const [preview, setPreview] = useState<{ changes: Change[]; result: RetentionPreview } | null>(null);
  const [state, setState] = useState<{ busy: "preview" | "apply" | null; error: string | null; done: string | null }>({ busy: null, error: null, done: null });
  const previewHeading = useRef<HTMLHeadingElement>(null);

  const draft = edited ?? (policies ? draftOf(policies) : null);
  const { changes, problem } = draft && policies ? changesOf(draft, policies) : { changes: [], problem: null };

  function edit(kind: PolicyKind, value: string) {
    if (!draft) return;
    setEdited({ ...draft, [kind]: value });
    setPreview(null);
    setState({ busy: null, error: null, done: null });
  }

  async function runPreview(wanted: Change[], note: string | null = null) {
    setState({ busy: "preview", error: note, done: null });
    try {
      const result = await apiFetch<RetentionPreview>("/api/retention/policies/preview", { orgId, method: "POST", body: { policies: wanted } });
      setPreview({ changes: wanted, result });
      setState({ busy: null, error: note, done: null });
    } catch (err) {
      setPreview(null);
      setState({ busy: null, error: note ? `${note} ${errorMessage(err)}` : errorMessage(err), done: null });
    }
  }

  async function apply() {
    if (!preview) return;
    setState({ busy: "apply", error: null, done: null });
    try {
      const res = await apiFetch<{ policies: RetentionPolicyView[] }>("/api/retention/policies", {
        orgId, method: "PUT", body: { policies: preview.changes, token: preview.result.token },
      });
      await list.mutate(res, { revalidate: false });
      setEdited(null);
      setPreview(null);
      setState({ busy: null, error: null, done: `Saved: ${preview.changes.map((c) => `${POLICY_KIND_LABELS[c.kind]} ${keepText(c.keepDays).toLowerCase()}`).join(", ")}. Content past a policy is deleted within a minute.` });
    } catch (err) {
      if (err instanceof ApiError && (err.code === "preview_stale" || err.code === "preview_expired")) {
        // The stored policies may have moved too: reread them and put the person's changes over
        // them, so a kind someone else changed meanwhile is not shown (or sent) as theirs to undo.
        const fresh = await list.mutate().catch(() => undefined);
        if (fresh) setEdited({ ...draftOf(fresh.policies), ...Object.fromEntries(preview.changes.map((c) => [c.kind, String(c.keepDays ?? "")])) });
        await runPreview(preview.changes, `${err.message} Here is what they would delete now; confirm again.`);
        return;
      }
      setState({ busy: null, error: errorMessage(err), done: null });
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} data-testid="retention-policies">
      <h3 id={`${id}-title`} className="text-base font-semibold">Retention policies</h3>
      <p className="mt-1 text-muted">
        How long each kind of call content is kept, counted from the call&apos;s creation; &ldquo;Keep&rdquo; (the default) keeps it for good.
        Evidence manifests, the evidence log and the custody record are kept for good whatever the policies say: each deletion
        is recorded in a new sealed manifest version that lists what went, with its hashes and why. Calls on legal hold keep everything.
      </p>
      {list.error ? (
        <LoadError what="the policies" error={list.error} onRetry={() => void list.mutate()} />
      ) : !policies || !draft ? <p role="status" className="mt-2 text-muted">Loading the policies…</p> : (
        <form onSubmit={(e) => { e.preventDefault(); if (changes.length > 0 && !problem) void runPreview(changes); }}>
          <table className="mt-3 w-full text-left">
            <caption className="sr-only">Retention per kind of content</caption>
            <thead className="text-xs uppercase text-muted">
              <tr><th scope="col">Content</th><th scope="col">Kept</th><th scope="col">Last changed</th>{manage ? <th scope="col">Keep for (days; empty keeps)</th> : null}</tr>
            </thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.kind} className="border-t border-slate-200" data-kind={p.kind}>
                  <th scope="row" className="py-1 font-normal">{POLICY_KIND_LABELS[p.kind]}</th>
                  <td data-testid="policy-kept">{keepText(p.keepDays)}</td>
                  <td className="text-muted">{p.updatedAt ? formatTime(p.updatedAt, true) : "never"}</td>
                  {manage ? (
                    <td>
                      <label htmlFor={`${id}-${p.kind}`} className="sr-only">Keep {POLICY_KIND_LABELS[p.kind].toLowerCase()} for (days; empty keeps)</label>
                      <input id={`${id}-${p.kind}`} type="number" inputMode="numeric" min={1} max={36_500} step={1} placeholder="Keep"
                        value={draft[p.kind]} onChange={(e) => edit(p.kind, e.target.value)} disabled={state.busy !== null}
                        className="w-28 rounded border border-slate-400 px-2 py-1" />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          {manage ? (
            <div className="mt-3 flex flex-wrap items-center gap-2">
              <button type="submit" className={PRIMARY_CLASS} disabled={state.busy !== null || changes.length === 0 || Boolean(problem)}>
                {state.busy === "preview" ? "Previewing…" : "Preview changes"}
              </button>
              {edited ? (
                <button type="button" className={BUTTON_CLASS} disabled={state.busy !== null} onClick={() => { setEdited(null); setPreview(null); setState({ busy: null, error: null, done: null }); }}>
                  Undo edits
                </button>
              ) : null}
              <span className="text-muted">{problem ?? (changes.length === 0 ? "Change a policy to preview what it would delete." : "Nothing changes until you confirm the preview.")}</span>
            </div>
          ) : <p className="mt-2 text-muted">Only owners and admins change retention policies.</p>}
        </form>
      )}
      <p role="alert" className="mt-2 text-danger">{state.error}</p>
      <p role="status" className="mt-1">{state.done}</p>
      {preview ? <PreviewView heading={previewHeading} preview={preview.result} busy={state.busy} onApply={() => void apply()} onCancel={() => setPreview(null)} /> : null}
    </section>
  );
}

function PreviewView({ heading, preview, busy, onApply, onCancel }: {
  heading: React.RefObject<HTMLHeadingElement | null>;
  preview: RetentionPreview;
  busy: "preview" | "apply" | null;
  onApply: () => void;
  onCancel: () => void;
}) {
  const shown = preview.calls.length;
  // Focus moves to each new preview once it is on the page (not before React has rendered it).
  useEffect(() => heading.current?.focus(), [preview, heading]);
  return (
    <div className="mt-3 space-y-3 rounded border border-amber-300 bg-amber-50 p-4" data-testid="retention-preview" aria-busy={busy !== null}>
      <h4 ref={heading} tabIndex={-1} className="font-semibold">Preview: what these policies would delete now</h4>
      <p data-testid="preview-summary">
        {preview.totalCalls === 0 ? "No call has content past these policies now." : `${preview.totalCalls} ${preview.totalCalls === 1 ? "call loses" : "calls lose"} content now.`}
        {" "}{preview.heldCalls > 0 ? `${preview.heldCalls} more ${preview.heldCalls === 1 ? "call is" : "calls are"} past a policy but kept by a legal hold.` : "No call past a policy is on legal hold."}
        {" "}Later calls are deleted as they pass their policy. This preview holds until {formatTime(preview.expiresAt, true)}.
      </p>
      <table className="w-full text-left" data-testid="preview-kinds">
        <caption className="text-left font-medium">Per kind of content</caption>
        <thead className="text-xs uppercase text-muted"><tr><th scope="col">Content</th><th scope="col">Kept</th><th scope="col">Items deleted</th><th scope="col">Calls affected</th></tr></thead>
        <tbody>
          {preview.kinds.map((k) => (
            <tr key={k.kind} className="border-t border-amber-200" data-kind={k.kind}>
              <th scope="row" className="font-normal">{POLICY_KIND_LABELS[k.kind]}</th><td>{keepText(k.keepDays)}</td><td>{k.artifacts}</td><td>{k.calls}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown > 0 ? (
        <table className="w-full text-left" data-testid="preview-calls">
          <caption className="text-left font-medium">Calls that would lose content{preview.totalCalls > shown ? ` (the oldest ${shown} of ${preview.totalCalls})` : ` (${shown})`}</caption>
          <thead className="text-xs uppercase text-muted"><tr><th scope="col">Call</th><th scope="col">Created</th><th scope="col">Loses</th></tr></thead>
          <tbody>
            {preview.calls.map((c) => (
              <tr key={c.id} className="border-t border-amber-200">
                <th scope="row" className="font-normal"><a href={pageHref(c.id, {})} className="font-mono text-accent underline">{c.id.slice(0, 8)}</a></th>
                <td>{formatTime(c.createdAt, true)}</td><td>{c.kinds.map((k) => POLICY_KIND_LABELS[k]).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <button type="button" className="rounded bg-danger px-3 py-1.5 font-medium text-white hover:bg-red-800 disabled:opacity-60" disabled={busy !== null} onClick={onApply}>
          {busy === "apply" ? "Applying…" : "Apply these policies"}
        </button>
        <button type="button" className={BUTTON_CLASS} disabled={busy !== null} onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}
