/**
 * Which paths need a session. Public: sign-in, health probes, and the signed provider endpoints
 * (webhooks and LaML check their own signatures and must never be redirected to /login).
 * Pure, so tests cover it without a server.
 */
const PUBLIC_EXACT = ["/login", "/api/auth/sign-in"];
const PUBLIC_PREFIXES = ["/api/health/", "/api/webhooks/", "/api/laml/", "/api/storage/"];

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
