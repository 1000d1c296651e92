"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ChooseOrgRequest } from "@/lib/auth/contracts";
import type { Membership } from "@/lib/rbac/membership";

/**
 * Shown when the user belongs to several organizations and has not chosen one: the page never
 * guesses. The choice is stored per user (POST /api/session/org).
 */
export function OrgChooser({ options }: { options: Pick<Membership, "orgId" | "orgName" | "role">[] }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  async function choose(orgId: string) {
    setError(null);
    const res = await fetch("/api/session/org", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orgId } satisfies ChooseOrgRequest),
    }).catch(() => null);
    if (!res?.ok) {
      setError("Could not choose that organization. Try again.");
      return;
    }
    router.refresh();
  }
  return (
    <section aria-labelledby="org-chooser-heading" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id="org-chooser-heading" className="text-base font-semibold">Choose an organization</h2>
      <p className="mb-3 text-sm text-muted">You belong to more than one. Choose where to work; you can switch later.</p>
      <ul className="space-y-2">
        {options.map((o) => (
          <li key={o.orgId}>
            <button type="button" onClick={() => choose(o.orgId)}
              className="rounded border border-slate-300 px-3 py-1.5 text-left hover:bg-slate-50">
              Work in {o.orgName} <span className="text-sm capitalize text-muted">({o.role})</span>
            </button>
          </li>
        ))}
      </ul>
      {error ? <p role="alert" className="mt-2 text-sm text-danger">{error}</p> : null}
    </section>
  );
}
