import { unstable_serialize } from "swr/infinite";
import { ORG_HEADER } from "@/lib/rbac/org-header";
import type { ActivityResponse } from "@/lib/activity/contracts";
import type { CallListResponse } from "@/lib/calls/contracts";
import type { ErrorBody } from "@/lib/http/contracts";

/**
 * How the page's client islands talk to the call API: SWR keys, the fetcher and the error type.
 * Keys are `[path, orgId]` and every request names its organization in `x-organization-id`:
 * the cache cannot show one organization's calls under another's after a switch, and a request
 * cannot land in a different organization because another tab changed the stored active organization.
 */

const PAGE_SIZE = 50;

export type ApiKey = readonly [path: string, orgId: string];

/** An API error body `{ error: { code, message, requestId, ...details } }`, or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: Record<string, unknown>;
  /** True when no response arrived (offline, connection reset): the outcome is unknown. */
  readonly network: boolean;

  constructor(
    message: string,
    { status, code, requestId = null, details = {}, network = false }: { status: number; code: string; requestId?: string | null; details?: Record<string, unknown>; network?: boolean },
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
    this.network = network;
  }
}

export interface ApiRequest {
  orgId: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function apiFetch<T>(path: string, { orgId, method = "GET", body, headers, signal }: ApiRequest): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: "application/json",
        [ORG_HEADER]: orgId,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError("Could not reach the server. Check your connection and try again.", { status: 0, code: "network", network: true });
  }
  const parsed = (await res.json().catch(() => null)) as unknown;
  if (res.ok) return parsed as T;
  const error: Record<string, unknown> | undefined = (parsed as Partial<ErrorBody> | null)?.error;
  const { code, message, requestId, ...details } = error ?? {};
  throw new ApiError(
    typeof message === "string" && message ? message : `The server answered ${res.status}. Try again in a moment.`,
    {
      status: res.status,
      code: typeof code === "string" ? code : "http_" + res.status,
      requestId: typeof requestId === "string" ? requestId : res.headers.get("x-request-id"),
      details,
    },
  );
}

/** The SWR fetcher for `[path, orgId]` keys. */
export function swrFetcher<T>([path, orgId]: ApiKey): Promise<T> {
  return apiFetch<T>(path, { orgId });
}

/** A message fit for the person, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return "Something went wrong. Try again.";
}

export function voiceConfigKey(orgId: string): ApiKey {
  return ["/api/voice-config", orgId];
}

export function callDetailKey(orgId: string, callId: string): ApiKey {
  return [`/api/calls/${encodeURIComponent(callId)}`, orgId];
}

/**
 * useSWRInfinite's page keys for the call list, newest first, following `nextBefore`. `query`
 * is the filters' query string (components/calls/url-state.ts `filterQuery`): each filter set is a
 * list of its own in the cache.
 */
export function callPagesKey(orgId: string, query = "") {
  const filter = query ? `${query}&` : "";
  return (index: number, previous: CallListResponse | null): ApiKey | null => {
    if (index === 0) return [`/api/calls?${filter}limit=${PAGE_SIZE}`, orgId];
    if (!previous?.nextBefore) return null;
    return [`/api/calls?${filter}before=${encodeURIComponent(previous.nextBefore)}&limit=${PAGE_SIZE}`, orgId];
  };
}

/**
 * The cache key under which useSWRInfinite keeps the whole list (for one filter set). SWR's
 * key-matcher form of `mutate` skips infinite keys on purpose, so the list is revalidated
 * through this key: live updates and a placed call name the filters the page shows.
 */
export function callListKey(orgId: string, query = ""): string {
  return unstable_serialize(callPagesKey(orgId, query));
}

const ACTIVITY_PAGE_SIZE = 30;

/** useSWRInfinite's page keys for the organization's activity feed, newest first, following `nextBefore`. */
export function activityPagesKey(orgId: string) {
  return (index: number, previous: ActivityResponse | null): ApiKey | null => {
    if (index === 0) return [`/api/activity?limit=${ACTIVITY_PAGE_SIZE}`, orgId];
    if (!previous?.nextBefore) return null;
    return [`/api/activity?before=${encodeURIComponent(previous.nextBefore)}&limit=${ACTIVITY_PAGE_SIZE}`, orgId];
  };
}

/** The cache key of the whole activity feed (as `callListKey`): what live updates revalidate. */
export function activityKey(orgId: string): string {
  return unstable_serialize(activityPagesKey(orgId));
}

/** Matches every plain (non-infinite) key of one organization: details, config. */
export function isOrgKey(key: unknown, orgId: string): boolean {
  return Array.isArray(key) && key.length === 2 && key[1] === orgId && typeof key[0] === "string" && key[0].startsWith("/api/");
}
