"use client";

import { useId, useState, type FormEvent } from "react";
import useSWR from "swr";
import { apiFetch, errorMessage, swrFetcher, type ApiKey } from "@/components/shared/api-client";
import type { CreateInvitationResponse, Invitation, InvitationListResponse } from "@/lib/orgs/contracts";

const invitationsKey = (orgId: string): ApiKey => ["/api/invitations", orgId];

/**
 * Owners and admins invite people by email. When nothing is emailed (the embedded default
 * without SMTP) the link is shown here to pass on. Open invitations are listed with Revoke.
 * Deliberately small: the full members panel is a later issue.
 */
export function InviteMemberPanel({ orgId, canInviteOwners }: { orgId: string; canInviteOwners: boolean }) {
  const ids = { email: useId(), role: useId(), heading: useId() };
  const { data, error, mutate } = useSWR<InvitationListResponse>(invitationsKey(orgId), swrFetcher);
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string; link?: string } | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const values = new FormData(form);
    setPending(true);
    setMessage(null);
    try {
      const res = await apiFetch<CreateInvitationResponse>("/api/invitations", {
        orgId,
        method: "POST",
        body: { email: String(values.get("email") ?? "").trim(), role: values.get("role") },
      });
      setMessage(
        res.acceptUrl
          ? { kind: "ok", text: `Invitation created for ${res.invitation.email}. No email is sent here: give them this link.`, link: res.acceptUrl }
          : { kind: "ok", text: `Invitation sent to ${res.invitation.email}.` },
      );
      form.reset();
      await mutate();
    } catch (err) {
      setMessage({ kind: "error", text: errorMessage(err) });
    } finally {
      setPending(false);
    }
  }

  async function revoke(invitation: Invitation) {
    setMessage(null);
    try {
      await apiFetch(`/api/invitations/${invitation.id}`, { orgId, method: "DELETE" });
      setMessage({ kind: "ok", text: `Invitation for ${invitation.email} revoked.` });
    } catch (err) {
      setMessage({ kind: "error", text: errorMessage(err) });
    }
    await mutate();
  }

  return (
    <section aria-labelledby={ids.heading} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={ids.heading} className="mb-3 text-base font-semibold">Invite a member</h2>
      <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3" noValidate>
        <div>
          <label htmlFor={ids.email} className="block text-sm font-medium">Email</label>
          <input id={ids.email} name="email" type="email" required autoComplete="off"
            className="mt-1 w-64 rounded border border-slate-300 px-3 py-1.5" />
        </div>
        <div>
          <label htmlFor={ids.role} className="block text-sm font-medium">Role</label>
          <select id={ids.role} name="role" defaultValue="operator" className="mt-1 rounded border border-slate-300 bg-white px-2 py-1.5">
            {canInviteOwners ? <option value="owner">Owner</option> : null}
            <option value="admin">Admin</option>
            <option value="operator">Operator</option>
            <option value="analyst">Analyst</option>
            <option value="viewer">Viewer</option>
          </select>
        </div>
        <button type="submit" disabled={pending} className="rounded bg-accent px-4 py-1.5 font-medium text-white disabled:opacity-60">
          {pending ? "Inviting…" : "Invite"}
        </button>
      </form>
      <div role="status" aria-live="polite" className="mt-3 text-sm">
        {message ? (
          <div className={message.kind === "error" ? "text-danger" : ""}>
            <p>{message.text}</p>
            {message.link ? (
              <p className="mt-1">
                <label className="block font-medium" htmlFor={`${ids.email}-link`}>Invitation link</label>
                <input id={`${ids.email}-link`} readOnly value={message.link} data-testid="invitation-link"
                  onFocus={(e) => e.currentTarget.select()}
                  className="mt-1 w-full rounded border border-slate-300 bg-slate-50 px-2 py-1 font-mono text-xs" />
              </p>
            ) : null}
          </div>
        ) : null}
      </div>
      <h3 className="mt-4 text-sm font-semibold">Open invitations</h3>
      {error ? (
        <p role="alert" className="text-sm text-danger">{errorMessage(error)}</p>
      ) : !data ? (
        <p className="text-sm text-muted">Loading…</p>
      ) : data.invitations.length === 0 ? (
        <p className="text-sm text-muted">None.</p>
      ) : (
        <ul className="mt-1 divide-y divide-slate-100 text-sm" aria-label="Open invitations">
          {data.invitations.map((inv) => (
            <li key={inv.id} className="flex items-center gap-3 py-1.5">
              <span className="font-medium">{inv.email}</span>
              <span className="capitalize text-muted">{inv.role}</span>
              <span className="text-muted">expires {new Date(inv.expiresAt).toLocaleDateString()}</span>
              <button type="button" onClick={() => revoke(inv)} aria-label={`Revoke the invitation for ${inv.email}`}
                className="ml-auto rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-50">
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
