"use client";

import { useSyncExternalStore } from "react";

const noopSubscribe = () => () => {};

/**
 * False while rendering on the server and hydrating, true after: times are shown in UTC first
 * (identical on both sides) and in the person's own time zone once hydrated, without a
 * hydration mismatch.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(noopSubscribe, () => true, () => false);
}
