import { CrossSiteRequestError } from "@/lib/errors";

/**
 * Cross-site state-changing requests are refused (docs/adr/0026): defence in depth behind
 * SameSite=Lax cookies and CORS preflights, which a same-site sibling, a top-level form post or
 * a browser bug gets past. Asked twice, with the same answer: by the proxy (every Next path,
 * before the session is touched) and by `route()` (every route handler, however it is served).
 *
 * - Safe methods (GET, HEAD, OPTIONS) pass: they change nothing.
 * - Provider callbacks (/api/webhooks/, /api/laml/) pass: server to server, no cookies, each
 *   request proves itself with the provider's signature or per-request secret, so there is
 *   no ambient authority to ride. Providers send neither header today; exempting them by path
 *   means one that starts to (or a proxy that adds Origin) cannot stop calls.
 * - `Sec-Fetch-Site` (set by the browser, not by script) `cross-site` or `same-site` is refused:
 *   a sibling subdomain is same-site, where SameSite cookies give no protection at all, and the
 *   app has no caller there. `same-origin` and `none` (the person's own action) pass.
 * - `Origin`, for browsers without Fetch Metadata: when present it must be the app's own —
 *   PUBLIC_BASE_URL's origin (what people use behind a proxy, and what providers sign), or the
 *   host the request was addressed to (the embedded default reached as localhost or by another
 *   name). A browser never lets a page set Host to a site other than its own, so a match means
 *   the browser itself considers the request same-origin. `Origin: null` (sandboxed frames,
 *   no-referrer pages) passes only with `Sec-Fetch-Site: same-origin`.
 * - Neither header: not a browser-driven cross-site request (curl, a script, a provider): pass.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const SIGNED_PROVIDER_PREFIXES = ["/api/webhooks/", "/api/laml/"];

export interface CrossSiteInput {
  method: string;
  pathname: string;
  headers: Headers;
  /** PUBLIC_BASE_URL; read only when an Origin has to be compared with it. */
  publicBaseUrl: () => string;
}

export function isSignedProviderPath(pathname: string): boolean {
  return SIGNED_PROVIDER_PREFIXES.some((prefix) => pathname.startsWith(prefix));
}

function isOwnOrigin(origin: string, headers: Headers, publicBaseUrl: () => string): boolean {
  let given: URL;
  try {
    given = new URL(origin);
  } catch {
    return false;
  }
  if (given.protocol !== "http:" && given.protocol !== "https:") return false;
  if (given.origin === new URL(publicBaseUrl()).origin) return true;
  const host = headers.get("host");
  return host !== null && given.host === host.toLowerCase();
}

/** Why this request is refused as cross-site, or null when it may proceed. */
export function crossSiteReason({ method, pathname, headers, publicBaseUrl }: CrossSiteInput): string | null {
  if (SAFE_METHODS.has(method.toUpperCase()) || isSignedProviderPath(pathname)) return null;
  const site = headers.get("sec-fetch-site")?.toLowerCase();
  if (site === "cross-site" || site === "same-site") return `sec-fetch-site: ${site}`;
  const origin = headers.get("origin");
  if (origin === null) return null;
  if (origin === "null") return site === "same-origin" ? null : "origin: null";
  return isOwnOrigin(origin, headers, publicBaseUrl) ? null : "origin: another site";
}

/** The refusal to answer with (403 `cross_site_request`), or null. */
export function crossSiteRefusal(input: CrossSiteInput): CrossSiteRequestError | null {
  const reason = crossSiteReason(input);
  return reason === null ? null : new CrossSiteRequestError(reason);
}
