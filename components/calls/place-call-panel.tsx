"use client";

import { lazy, Suspense, type ReactNode } from "react";
import useSWR from "swr";
import { ApiError, errorMessage, swrFetcher, voiceConfigKey } from "@/components/shared/api-client";
import type { VoiceConfigResponse } from "@/lib/calls/contracts";

// The form (toggles, their rules, submission) loads after the page; the server renders it first.
const PlaceCallForm = lazy(() => import("@/components/calls/place-call-form").then((m) => ({ default: m.PlaceCallForm })));

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** Spaces, dots, dashes and brackets are how people write numbers; the API wants E.164. */

export function PlaceCallPanel({ orgId, initialConfig, carrierNote }: { orgId: string; initialConfig?: VoiceConfigResponse; carrierNote?: ReactNode }) {
  const { data, error, isLoading, mutate } = useSWR<VoiceConfigResponse, ApiError>(voiceConfigKey(orgId), swrFetcher, {
    fallbackData: initialConfig,
  });

  return (
    <section aria-labelledby="place-call-heading" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="place-call-heading" className="text-base font-semibold">Place a call</h2>
      {data ? (
        <>
          {carrierNote}
          {data.capabilities["calls.place"].allowed ? (
            <Suspense fallback={<p role="status" className="mt-3 text-sm text-muted">Loading the form…</p>}>
              <PlaceCallForm key={orgId} orgId={orgId} config={data} />
            </Suspense>
          ) : (
            <p className="mt-3 text-sm text-muted">
              {data.capabilities["calls.place"].reason === "role"
                ? `Your role can watch calls but not place them; ${listOf(data.capabilities["calls.place"].roles.map((r) => r + "s"))} can.`
                : "This organization's plan does not include placing calls."}
            </p>
          )}
        </>
      ) : error ? (
        <div role="alert" className="mt-3 rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
          <p>Could not load the voice configuration: {errorMessage(error)}</p>
          <button type="button" onClick={() => void mutate()}
            className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-100">
            Retry
          </button>
        </div>
      ) : isLoading ? (
        <p role="status" className="mt-3 text-sm text-muted">Loading the voice configuration…</p>
      ) : null}
    </section>
  );
}

// Loaded only when a survey or script can be chosen: most page loads never need it.
