"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { NewPasswordFields } from "@/components/session/new-password-fields";
import type { ChooseOrgRequest } from "@/lib/auth/contracts";
import type { ErrorBody } from "@/lib/http/contracts";
import type { AcceptInvitationRequest, AcceptInvitationResponse } from "@/lib/orgs/contracts";

async function post(path: string, body: AcceptInvitationRequest | ChooseOrgRequest): Promise<{ ok: true; data: unknown } | { ok: false; message: string }> {
  try {
    const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const parsed = (await res.json().catch(() => null)) as Partial<ErrorBody> | null;
    if (res.ok) return { ok: true, data: parsed };
    return { ok: false, message: parsed?.error?.message ?? `The server answered ${res.status}. Try again.` };
  } catch {
    return { ok: false, message: "Could not reach the server. Check your connection and try again." };
  }
}

/**
 * Accept as the signed-in person, or (signed out) sign in and come back, or create the local
 * account for the invitation's email. Joining does not switch organizations; "Switch to it"
 * does, explicitly.
 */
export function AcceptInvitation({
  token,
  orgName,
  signedInAs,
  canCreateAccount,
  signInHref,
}: {
  token: string;
  orgName: string;
  signedInAs: string | null;
  canCreateAccount: boolean;
  signInHref: string;
}) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState<AcceptInvitationResponse | null>(null);

  async function accept(body: Omit<AcceptInvitationRequest, "token">) {
    setPending(true);
    setError(null);
    const result = await post("/api/invitations/accept", { token, ...body });
    setPending(false);
    if (result.ok) setAccepted(result.data as AcceptInvitationResponse);
    else setError(result.message);
  }

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = new FormData(event.currentTarget);
    const password = String(values.get("password") ?? "");
    if (password.length < 12) return setError("Choose a password of at least 12 characters.");
    if (password !== values.get("confirm")) return setError("The two passwords differ.");
    await accept({ password });
  }

  async function switchTo(orgId: string) {
    setPending(true);
    const result = await post("/api/session/org", { orgId });
    setPending(false);
    if (!result.ok) return setError(result.message);
    router.push("/");
    router.refresh();
  }

  if (accepted) {
    return (
      <div role="status" className="space-y-4">
        <p>
          You joined <strong>{accepted.organization.name}</strong> as <span className="capitalize">{accepted.role}</span>.
        </p>
        <div className="flex flex-wrap gap-3">
          <button type="button" disabled={pending} onClick={() => switchTo(accepted.organization.id)}
            className="rounded bg-accent px-4 py-2 font-medium text-white disabled:opacity-60">
            Switch to {accepted.organization.name}
          </button>
          <Link href="/" className="rounded border border-slate-300 px-4 py-2">Stay where I am</Link>
        </div>
        {error ? <p role="alert" className="text-sm text-danger">{error}</p> : null}
      </div>
    );
  }

  return (
    <div className="space-y-6">
      {signedInAs ? (
        <div className="space-y-3">
          <p className="text-sm text-muted">Signed in as {signedInAs}.</p>
          <button type="button" disabled={pending} onClick={() => accept({})}
            className="rounded bg-accent px-4 py-2 font-medium text-white disabled:opacity-60">
            {pending ? "Joining…" : `Join ${orgName}`}
          </button>
        </div>
      ) : (
        <>
          <p>
            <Link href={signInHref} className="text-accent underline">Sign in to accept</Link>{" "}
            <span className="text-sm text-muted">with the email address this invitation was sent to.</span>
          </p>
          {canCreateAccount ? (
            <form onSubmit={onCreate} noValidate className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <h2 className="font-semibold">New here? Create your account</h2>
              <p className="text-sm text-muted">Your account uses the email address this invitation was sent to.</p>
              <NewPasswordFields />
              <button type="submit" disabled={pending} className="rounded bg-accent px-4 py-2 font-medium text-white disabled:opacity-60">
                {pending ? "Joining…" : "Create account and join"}
              </button>
              <p className="text-xs text-muted">
                An account already uses this address, with a password you do not know?{" "}
                <Link href="/password" className="text-accent underline">Set it with a link sent to the address</Link>, then come back to this page.
              </p>
            </form>
          ) : null}
        </>
      )}
      <p role="alert" aria-live="assertive" className="min-h-5 text-sm text-danger">{error}</p>
    </div>
  );
}
