"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { EmailLinkSessionRequest } from "@/lib/auth/contracts";
import type { ErrorBody } from "@/lib/http/contracts";

type Outcome = { ok: true } | { ok: false; message: string };

async function adopt(fragment: URLSearchParams): Promise<Outcome> {
  const accessToken = fragment.get("access_token");
  const refreshToken = fragment.get("refresh_token");
  const problem = fragment.get("error_description");
  if (problem || !accessToken || !refreshToken) return { ok: false, message: problem ?? "The sign-in link was incomplete." };
  try {
    const res = await fetch("/api/auth/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accessToken, refreshToken } satisfies EmailLinkSessionRequest),
    });
    if (res.ok) return { ok: true };
    const body = (await res.json().catch(() => null)) as Partial<ErrorBody> | null;
    return { ok: false, message: body?.error?.message ?? "Could not sign you in from this link." };
  } catch {
    return { ok: false, message: "Could not reach the server. Check your connection and try again." };
  }
}

/**
 * Supabase mode, signed out: Supabase's invite and magic-link emails land here with the session
 * in the URL fragment. Take it out of the address bar at once, hand it to the server (which
 * verifies it with Supabase and sets the cookies), then re-render signed in.
 */
export function EmailLinkSession() {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    if (!fragment.has("access_token") && !fragment.has("error_description")) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    void adopt(fragment).then((outcome) => (outcome.ok ? router.refresh() : setProblem(outcome.message)));
  }, [router]);

  return problem ? <p role="alert" className="mb-4 text-sm text-danger">{problem}</p> : null;
}
