"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { NewPasswordFields } from "@/components/session/new-password-fields";
import type { AddressProvenResponse, ConfirmAddressProofRequest } from "@/lib/auth/contracts";
import type { ErrorBody } from "@/lib/http/contracts";

/**
 * The holder of a link sent to an address chooses the password of its account. Afterwards: every
 * other session is over; organizations the account had joined before anyone proved the address
 * are listed as invitations to accept or ignore, and those it keeps (an organization's last
 * owner) are named.
 */
export function SetPasswordForm({ token }: { token: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<AddressProvenResponse | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = new FormData(event.currentTarget);
    const password = String(values.get("password") ?? "");
    if (password.length < 12) return setError("Choose a password of at least 12 characters.");
    if (password !== values.get("confirm")) return setError("The two passwords differ.");
    setPending(true);
    setError(null);
    try {
      const res = await fetch("/api/auth/address-proof/confirm", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token, password } satisfies ConfirmAddressProofRequest),
      });
      const body = (await res.json().catch(() => null)) as (AddressProvenResponse & Partial<ErrorBody>) | null;
      if (res.ok && body?.user) setDone(body);
      else setError(body?.error?.message ?? `The server answered ${res.status}. Try again.`);
    } catch {
      setError("Could not reach the server. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  if (done) {
    return (
      <div role="status" className="space-y-4">
        <p>
          Your password is set, and you are signed in as <strong>{done.user.email}</strong>. Every other session of
          this account has ended.
        </p>
        {done.offeredAgain.length > 0 ? (
          <div className="space-y-2">
            <p>
              Before you proved this address, someone using this account joined these organizations. You are not a
              member of them; join only those you recognize:
            </p>
            <ul className="list-disc space-y-1 pl-6" aria-label="Invitations offered to you again">
              {done.offeredAgain.map((offer) => (
                <li key={offer.acceptUrl}>
                  <a href={offer.acceptUrl} className="text-accent underline">
                    {offer.orgName} as <span className="capitalize">{offer.role}</span>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {done.kept.length > 0 ? (
          <p>
            These stay with the account:{" "}
            {done.kept.map((k, i) => (
              <span key={`${k.orgName}-${i}`}>{i > 0 ? ", " : ""}{k.orgName} as <span className="capitalize">{k.role}</span></span>
            ))}
            . An organization always keeps an owner, so its last owner stays; memberships made by whoever runs this server
            stay too. Leave or hand them on from Settings if they are not yours.
          </p>
        ) : null}
        <Link href="/" className="inline-block rounded bg-accent px-4 py-2 font-medium text-white">Continue</Link>
      </div>
    );
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-3 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <NewPasswordFields label="New password" />
      <p role="alert" aria-live="assertive" className="min-h-5 text-sm text-danger">{error}</p>
      <button type="submit" disabled={pending} className="w-full rounded bg-accent px-4 py-2 font-medium text-white disabled:opacity-60">
        {pending ? "Setting…" : "Set password and sign in"}
      </button>
    </form>
  );
}
