"use client";

import { useId, useState } from "react";
import useSWR from "swr";
import { ApiError, apiFetch, errorMessage, swrFetcher, type ApiKey } from "@/components/shared/api-client";
import { InviteMemberPanel } from "@/components/settings/invite-member-panel";
import { useConfirmationFocus } from "@/components/shared/use-confirmation-focus";
import type { MeResponse } from "@/lib/auth/contracts";
import type { Member, MemberListResponse, MemberResponse } from "@/lib/orgs/contracts";
import { ROLES, type Role } from "@/lib/rbac/policy";

/**
 * The organization's members, for owners and admins (the settings dialog's Members tab): each
 * member's role, changed with a select and Save, removal with a confirmation, and invitations
 * (components/settings/invite-member-panel.tsx, with its open invitations). Only owners grant or take
 * away the owner role; the last owner's controls are disabled with the reason, and should the
 * server still refuse (someone else changed the owners meanwhile), its message is shown.
 */

const membersKey = (orgId: string): ApiKey => ["/api/members", orgId];
const meKey = (orgId: string): ApiKey => ["/api/me", orgId];

const ROLE_LABEL: Record<Role, string> = { owner: "Owner", admin: "Admin", operator: "Operator", analyst: "Analyst", viewer: "Viewer" };

export function MembersPanel({ orgId, role }: { orgId: string; role: Role }) {
  const headingId = useId();
  const { data, error, isLoading, mutate } = useSWR<MemberListResponse, ApiError>(membersKey(orgId), swrFetcher);
  const { data: me } = useSWR<MeResponse>(meKey(orgId), swrFetcher);
  const [note, setNote] = useState<string | null>(null);
  const owners = data?.members.filter((m) => m.role === "owner").length ?? 0;

  return (
    <div className="space-y-6">
      <section aria-labelledby={headingId}>
        <h3 id={headingId} className="text-base font-semibold">Members</h3>
        {data ? (
          data.members.length === 0 ? (
            <div className="mt-2 text-sm text-muted">
              <p>No members found.</p>
              <button type="button" onClick={() => void mutate()} className="mt-2 rounded border border-slate-300 px-3 py-1 font-medium text-ink hover:bg-slate-100">Check again</button>
            </div>
          ) : (
            <ul aria-label="Members" className="mt-2 divide-y divide-slate-100 text-sm">
              {data.members.map((m) => (
                <MemberRow key={`${m.userId}:${m.role}`} orgId={orgId} member={m} callerRole={role} self={me?.user.id === m.userId}
                  lastOwner={m.role === "owner" && owners <= 1}
                  onRefused={() => void mutate()}
                  onChanged={async (text, reload) => {
                    setNote(text);
                    if (reload) window.location.reload();
                    else await mutate();
                  }} />
              ))}
            </ul>
          )
        ) : error ? (
          <div role="alert" className="mt-2 rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
            <p>Could not load the members: {errorMessage(error)}</p>
            <button type="button" onClick={() => void mutate()} className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium hover:bg-red-100">Retry</button>
          </div>
        ) : isLoading ? (
          <p role="status" className="mt-2 text-sm text-muted">Loading members…</p>
        ) : null}
        <p role="status" className="mt-2 min-h-5 text-sm font-medium text-green-800">{note}</p>
      </section>
      <InviteMemberPanel orgId={orgId} canInviteOwners={role === "owner"} />
    </div>
  );
}

function MemberRow({ orgId, member, callerRole, self, lastOwner, onChanged, onRefused }: {
  orgId: string;
  member: Member;
  callerRole: Role;
  self: boolean;
  lastOwner: boolean;
  onChanged: (note: string, reload: boolean) => Promise<void>;
  /** The server said no: the list may be out of date (someone else changed it), so it is reread. */
  onRefused: () => void;
}) {
  const id = useId();
  const name = member.email ?? "an account without an email";
  const [choice, setChoice] = useState<Role>(member.role);
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Focus follows the confirmation: into it when it opens, back to Remove when it closes.
  const { into: confirmRef, back: removeRef, returnFocus } = useConfirmationFocus<HTMLButtonElement, HTMLButtonElement>(confirming);

  // Why this member's controls are off, if they are.
  const locked = member.role === "owner" && callerRole !== "owner"
    ? "Only an owner can change or remove an owner."
    : lastOwner
      ? "The only owner: an organization always keeps one. Make another member an owner first."
      : null;
  // Admins never see the owner role among the choices.
  const choices = ROLES.filter((r) => r !== "owner" || callerRole === "owner" || member.role === "owner");
  const reasonId = `${id}-reason`;
  const errorId = `${id}-error`;

  async function saveRole() {
    setPending(true);
    setError(null);
    try {
      const res = await apiFetch<MemberResponse>(`/api/members/${encodeURIComponent(member.userId)}`, { orgId, method: "PATCH", body: { role: choice } });
      // One's own new role changes what the whole page offers (the header, Settings itself): reload it.
      await onChanged(`${name} is now ${ROLE_LABEL[res.member.role].toLowerCase()}.`, self);
    } catch (err) {
      setError(errorMessage(err));
      setChoice(member.role);
      onRefused();
    } finally {
      setPending(false);
    }
  }

  async function remove() {
    setPending(true);
    setError(null);
    try {
      await apiFetch(`/api/members/${encodeURIComponent(member.userId)}`, { orgId, method: "DELETE" });
      setConfirming(false);
      await onChanged(`${name} was removed from the organization.`, self);
    } catch (err) {
      setError(errorMessage(err));
      returnFocus();
      setConfirming(false);
      onRefused();
    } finally {
      setPending(false);
    }
  }

  return (
    <li data-testid="member-row" className="py-2">
      <div className="flex flex-wrap items-center gap-2">
        <span className="min-w-0 flex-1 font-medium">
          {name}
          {self ? <span className="ml-1 font-normal text-muted">(you)</span> : null}
        </span>
        <label htmlFor={`${id}-role`} className="sr-only">Role of {name}</label>
        <select id={`${id}-role`} value={choice} disabled={Boolean(locked) || pending}
          onChange={(e) => { setChoice(e.target.value as Role); setError(null); }}
          aria-describedby={[locked ? reasonId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined}
          className="rounded border border-slate-400 bg-white px-2 py-1 disabled:bg-slate-50 disabled:text-muted">
          {choices.map((r) => <option key={r} value={r}>{ROLE_LABEL[r]}</option>)}
        </select>
        <button type="button" onClick={() => void saveRole()} disabled={pending || choice === member.role}
          className="rounded border border-slate-300 px-2 py-1 font-medium hover:bg-slate-100 disabled:opacity-50">
          Save role<span className="sr-only"> of {name}</span>
        </button>
        <button ref={removeRef} type="button" onClick={() => setConfirming(true)} disabled={Boolean(locked) || pending || confirming}
          aria-describedby={locked ? reasonId : undefined}
          className="rounded border border-red-300 px-2 py-1 font-medium text-danger hover:bg-red-50 disabled:opacity-50">
          Remove<span className="sr-only"> {name}</span>
        </button>
      </div>
      {locked ? <p id={reasonId} data-testid="member-locked" className="mt-1 text-xs text-muted">{locked}</p> : null}
      {confirming ? (
        <div role="group" aria-label={`Confirm removing ${name}`} className="mt-2 rounded border border-red-200 bg-red-50 p-2">
          <p className="text-sm">
            Remove {name}{self ? " (you)" : ""} from the organization? {self ? "You" : "They"} lose access at the next request.
          </p>
          <div className="mt-2 flex gap-2">
            <button ref={confirmRef} type="button" onClick={() => void remove()} disabled={pending}
              className="rounded bg-danger px-3 py-1 font-medium text-white hover:bg-red-800 disabled:opacity-60">
              Yes, remove {name}
            </button>
            <button type="button" onClick={() => { returnFocus(); setConfirming(false); }}
              className="rounded border border-slate-300 bg-white px-3 py-1 font-medium hover:bg-slate-100">
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      <p id={errorId} role="alert" className="text-xs font-medium text-danger">{error}</p>
    </li>
  );
}
