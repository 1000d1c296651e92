"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ChooseOrgRequest } from "@/lib/auth/contracts";
import type { Membership } from "@/lib/rbac/membership";

/** What the switcher needs of each membership (`GET /api/me`). */
type OrgOption = Pick<Membership, "orgId" | "orgName">;

export function OrgSwitcher({ options, activeOrgId }: { options: OrgOption[]; activeOrgId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  return (
    <span>
      <label htmlFor="org-switcher" className="sr-only">Organization</label>
      <select
        id="org-switcher"
        defaultValue={activeOrgId}
        onChange={async (event) => {
          setError(null);
          const res = await fetch("/api/session/org", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ orgId: event.target.value } satisfies ChooseOrgRequest),
          }).catch(() => null);
          if (!res?.ok) setError("Could not switch organization.");
          // The selected call and the filters (scripts, surveys) belong to the organization left behind.
          else if (window.location.search) window.history.replaceState(null, "", "/");
          router.refresh();
        }}
        className="rounded border border-slate-300 bg-white px-2 py-1 text-sm"
      >
        {options.map((o) => (
          <option key={o.orgId} value={o.orgId}>{o.orgName}</option>
        ))}
      </select>
      {error ? <span role="alert" className="ml-2 text-sm text-danger">{error}</span> : null}
    </span>
  );
}
