/**
 * What an auth adapter needs from the request and response: read every cookie, set one.
 * Route handlers back it with `cookies()` from next/headers, the proxy with the request and
 * response, tests with a Map.
 */
export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none" | boolean;
  path?: string;
  maxAge?: number;
  expires?: Date;
  domain?: string;
}

export interface CookieJar {
  getAll(): { name: string; value: string }[];
  set(name: string, value: string, options?: CookieOptions): void;
}

export function cookieValue(jar: CookieJar, name: string): string | undefined {
  return jar.getAll().find((c) => c.name === name)?.value;
}

/** Secure cookies everywhere except plain-http loopback development. */
export function secureCookies(publicBaseUrl: string): boolean {
  const url = new URL(publicBaseUrl);
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  return url.protocol === "https:" || !loopback;
}
