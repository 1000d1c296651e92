"use client";

import { useEffect, useRef, useState } from "react";
import { useSWRConfig } from "swr";
import { activityKey, callDetailKey, callListKey, isOrgKey } from "@/components/shared/api-client";
import { createCoalescer } from "@/lib/realtime/coalesce";
import type { ConnectionState, RealtimeTransport } from "@/lib/realtime/client";

export type { ConnectionState, RealtimeTransport } from "@/lib/realtime/client";

/** Quiet time before refetching: one refetch per burst of callbacks, not one per row change. */
const DEBOUNCE_MS = 250;

/**
 * Wire live updates to SWR: a notice revalidates the call list, the activity feed and that call's detail, never
 * merges data by hand (the API decides what this person may see). Each time the connection
 * becomes live, including the first time, everything is revalidated once: whatever changed
 * while we were not listening (between the server render and the subscription, or during an
 * outage) produced notices nobody received.
 */
export function useRealtime({ orgId, transport, listQuery = "" }: {
  orgId: string;
  transport: RealtimeTransport;
  /** The filters of the list on screen (its SWR key): that list is the one revalidated. */
  listQuery?: string;
}): ConnectionState {
  const { mutate } = useSWRConfig();
  const [state, setState] = useState<ConnectionState>("connecting");

  // Depend on the transport's values, not its identity: a server refresh sends an equal but new
  // object, which must not tear down a healthy connection.
  const kind = transport.kind;
  const url = transport.kind === "supabase" ? transport.url : null;
  const publishableKey = transport.kind === "supabase" ? transport.publishableKey : null;
  const tokenUrl = transport.kind === "supabase" ? transport.tokenUrl : undefined;

  // Read when a burst is flushed, so a filter change does not tear down the connection.
  const query = useRef(listQuery);
  useEffect(() => {
    query.current = listQuery;
  }, [listQuery]);

  useEffect(() => {
    const coalescer = createCoalescer(
      ({ callIds, all }) => {
        void mutate(callListKey(orgId, query.current));
        // Every notice may be news for the activity feed (a call event, a sealed manifest, a custody event).
        void mutate(activityKey(orgId));
        if (all) {
          void mutate((key) => isOrgKey(key, orgId));
          return;
        }
        for (const id of callIds) void mutate(callDetailKey(orgId, id));
      },
      { waitMs: DEBOUNCE_MS },
    );
    // The client loads after the page has rendered: nothing on first paint needs it, and the
    // page's first load stays within its JavaScript budget.
    let unsubscribe: (() => void) | null = null;
    let cancelled = false;
    void import("@/lib/realtime/client").then(({ subscribeRealtime }) => {
      if (cancelled) return;
      unsubscribe = subscribeRealtime({
        orgId,
        transport:
          kind === "supabase" && url && publishableKey ? { kind, url, publishableKey, tokenUrl } : { kind: "sse" },
        onNotice: (notice) => coalescer.add(notice.callId),
        onState: (next) => {
          setState(next);
          if (next === "live") coalescer.add(null);
        },
      });
    }, () => setState("offline"));
    return () => {
      cancelled = true;
      unsubscribe?.();
      coalescer.cancel();
    };
  }, [orgId, kind, url, publishableKey, tokenUrl, mutate]);

  return state;
}
