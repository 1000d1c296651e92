/**
 * Which paths need a session. Public: sign-in, health probes, and the signed provider endpoints
 * (webhooks and LaML check their own signatures and must never be redirected to /login), and
 * an invitation's page, preview and accept endpoint (the token is the credential; accepting
 * still needs a session, except to create a local account for the invitation's own email), and
 * the endpoint that turns a Supabase email link's tokens into a session, asking for and using a
 * link that proves an address (the link's token is the credential, docs/adr/0027), the API's
 * OpenAPI document and its page (they describe, reveal no data: docs/adr/0043), the static
 * favicon and robots.txt, and the metrics, whose bearer token is the credential.
 * Pure, so tests cover it without a server.
 */
const PUBLIC_EXACT = ["/favicon.ico", "/favicon.svg", "/robots.txt", "/login", "/api/auth/sign-in", "/api/auth/session", "/api/auth/address-proof", "/api/auth/address-proof/confirm", "/password", "/api/invitations/preview", "/api/invitations/accept", "/api/evidence/jwks", "/api/evidence/tsa", "/api/metrics", "/api/openapi.json", "/api/docs"];
const PUBLIC_PREFIXES = ["/api/health/", "/api/webhooks/", "/api/laml/", "/api/storage/", "/invite/", "/password/"];

export function isPublicPath(pathname: string): boolean {
  return PUBLIC_EXACT.includes(pathname) || PUBLIC_PREFIXES.some((p) => pathname.startsWith(p));
}

export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

/** Where to send someone back after signing in: only same-site paths, never //host or /\host. */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  return value;
}
