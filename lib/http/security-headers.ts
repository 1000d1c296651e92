/**
 * The headers that tell a browser what it may do with our responses (docs/adr/0026). Two
 * layers, both from here:
 *
 * - `securityHeaders`: on every response, set by the front server (bin/server.ts) before
 *   anything answers, so webhooks, LaML, storage, static files, 404s and the malformed-path 400
 *   carry them too. Its Content-Security-Policy is the strict one for responses that are not
 *   pages: nothing loads, nothing frames it.
 * - `pageContentSecurityPolicy`: the policy of the pages, with the request's nonce, set by the
 *   proxy on the request (Next reads the nonce there and stamps its own scripts) and on the
 *   response, where it replaces the strict one.
 *
 * Pure and runtime-neutral: the proxy, the front server and the tests import it.
 */

export const CSP_HEADER = "content-security-policy";

/**
 * Features the app does not use, refused to it and to anything it might ever frame. The page
 * plays recordings with <audio> (autoplay after the person presses play stays allowed: its
 * default is 'self'); it never records, locates, pays or talks to devices.
 */
const DENIED_FEATURES = [
  "accelerometer", "browsing-topics", "camera", "display-capture", "encrypted-media", "fullscreen",
  "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment",
  "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
];

/** For responses that are not pages (JSON, audio, archives, scripts, images): load nothing, run nothing. */
const NOT_A_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Two years: long enough to matter, and what the HSTS preload list asks for should an operator want it. */
const HSTS_MAX_AGE_SECONDS = 63_072_000;

export interface BrowserPolicyContext {
  /** PUBLIC_BASE_URL: the origin people and providers reach the app at. */
  publicBaseUrl: string;
}

export interface PagePolicyContext extends BrowserPolicyContext {
  /** Development (`npm run dev`): React's debugging needs eval, Turbopack's HMR a websocket and inline styles. */
  dev: boolean;
  /** The origin this request was addressed to (for the development websocket). */
  requestOrigin: string;
  /** NEXT_PUBLIC_SUPABASE_URL in Supabase mode: Realtime (https + wss) and signed Storage URLs for recordings. */
  supabaseUrl?: string | undefined;
  /** NEXT_PUBLIC_SENTRY_DSN when the browser build reports errors: its ingest origin. */
  sentryDsn?: string | undefined;
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const { origin } = new URL(url);
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

function isHttps(publicBaseUrl: string): boolean {
  return originOf(publicBaseUrl)?.startsWith("https://") ?? false;
}

/** Headers for every response. HSTS only when the public origin is https (the browser ignores it over http anyway, and a local http setup must never be pinned). */
export function securityHeaders({ publicBaseUrl }: BrowserPolicyContext): Record<string, string> {
  return {
    [CSP_HEADER]: NOT_A_PAGE_CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // Full URLs (invitation tokens, signed links, call ids) stay on our origin; other sites learn
    // nothing, not even that the person came from here. Not no-referrer: under that policy a
    // browser sends `Origin: null` on the app's own POSTs, which the cross-site check relies on.
    "referrer-policy": "same-origin",
    "permissions-policy": DENIED_FEATURES.map((feature) => `${feature}=()`).join(", "),
    // Another site's window cannot keep a handle on ours (window.opener, postMessage, XS-Leaks).
    "cross-origin-opener-policy": "same-origin",
    ...(isHttps(publicBaseUrl) ? { "strict-transport-security": `max-age=${HSTS_MAX_AGE_SECONDS}` } : {}),
  };
}

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

function unique(values: (string | null | false | undefined)[]): string {
  return [...new Set(values.filter((v): v is string => Boolean(v)))].join(" ");
}

/**
 * The pages' policy. Scripts: only those carrying this response's nonce, and what they load
 * ('strict-dynamic': Next's chunks and the on-demand Sentry SDK); 'self' is a fallback for
 * browsers without strict-dynamic. Styles: our stylesheets and nonce'd <style>; style
 * *attributes* stay allowed (React's style prop, Next's built-in error pages): they cannot run
 * script, and what they could fetch is bounded by img-src and font-src.
 */
export function pageContentSecurityPolicy(nonce: string, ctx: PagePolicyContext): string {
  const publicOrigin = originOf(ctx.publicBaseUrl);
  const supabase = originOf(ctx.supabaseUrl);
  const sentry = originOf(ctx.sentryDsn);
  const websocketOf = (origin: string | null) => origin?.replace(/^http/, "ws");
  const directives: [string, string][] = [
    ["default-src", "'self'"],
    ["script-src", unique(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ctx.dev && "'unsafe-eval'"])],
    // In development Turbopack injects CSS as <style> without a nonce; a nonce would turn 'unsafe-inline' off.
    ["style-src", ctx.dev ? "'self' 'unsafe-inline'" : `'self' 'nonce-${nonce}'`],
    ["style-src-attr", "'unsafe-inline'"],
    ["img-src", "'self'"],
    ["font-src", "'self'"],
    // Recordings: signed links under PUBLIC_BASE_URL (a person may browse at another name for
    // the same server), or Supabase Storage's.
    ["media-src", unique(["'self'", publicOrigin, supabase])],
    ["connect-src", unique(["'self'", supabase, websocketOf(supabase), sentry, ctx.dev && websocketOf(originOf(ctx.requestOrigin))])],
    ["frame-src", "'none'"],
    ["worker-src", "'none'"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  const policy = directives.map(([name, value]) => `${name} ${value}`);
  if (isHttps(ctx.publicBaseUrl)) policy.push("upgrade-insecure-requests");
  return policy.join("; ");
}
