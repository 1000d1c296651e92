import { ApiError } from "@/components/shared/api-client";
import { ORG_HEADER } from "@/lib/rbac/org-header";

/**
 * POST a CSV body (the targets import) and read the JSON answer, with errors as apiFetch
 * throws them. Its own helper rather than an option of apiFetch, which every page load carries:
 * only the targets dialog sends CSV.
 */
export async function postCsv<T>(path: string, { orgId, csv }: { orgId: string; csv: string }): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "text/csv", [ORG_HEADER]: orgId },
      body: csv,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("Could not reach the server. Check your connection and try again.", { status: 0, code: "network", network: true });
  }
  const parsed = (await res.json().catch(() => null)) as { error?: Record<string, unknown> } | null;
  if (res.ok) return parsed as T;
  const { code, message, requestId, ...details } = parsed?.error ?? {};
  throw new ApiError(typeof message === "string" && message ? message : `The server answered ${res.status}. Try again in a moment.`, {
    status: res.status,
    code: typeof code === "string" ? code : `http_${res.status}`,
    requestId: typeof requestId === "string" ? requestId : res.headers.get("x-request-id"),
    details,
  });
}
