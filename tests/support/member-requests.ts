import { randomUUID } from "node:crypto";
import type { CookieJar, CookieOptions } from "@/lib/auth/cookie-jar";
import { createLocalUser, localAuth } from "@/lib/auth/local";

/**
 * Calling member routes (which read the session from `next/headers` cookies) outside Next: the
 * test file mocks `next/headers` with `cookiesMock`, and `as(browser, fn)` makes a browser's
 * cookie jar the request's. Sessions are real local sign-ins (auth.sessions rows, signed tokens).
 *
 * In the test file:
 *   vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);
 */
export class Browser implements CookieJar {
  readonly cookies = new Map<string, string>();
  getAll() {
    return [...this.cookies].map(([name, value]) => ({ name, value }));
  }
  set(name: string, value: string, options?: CookieOptions) {
    if (!value || options?.maxAge === 0) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

let current: Browser = new Browser();

export const nextHeadersMock = {
  cookies: async () => ({
    getAll: () => current.getAll(),
    get: (name: string) => (current.cookies.has(name) ? { name, value: current.cookies.get(name)! } : undefined),
    set: (name: string, value: string, options?: CookieOptions) => current.set(name, value, options),
    delete: (name: string) => current.cookies.delete(name),
  }),
  headers: async () => new Headers(),
};

/** Run `fn` as a request from `browser` (its cookies in, Set-Cookie back into it). */
export async function as<T>(browser: Browser, fn: () => Promise<T>): Promise<T> {
  const previous = current;
  current = browser;
  try {
    return await fn();
  } finally {
    current = previous;
  }
}

let ipCounter = 0;
export const PASSWORD = "a long enough password 1";

/** A local account, signed in: its id, email and browser. */
export async function signedInUser(email = `${randomUUID().slice(0, 8)}@example.test`): Promise<{ userId: string; email: string; browser: Browser }> {
  const { id } = await createLocalUser(email, PASSWORD);
  const browser = new Browser();
  ipCounter += 1;
  await localAuth.signIn(browser, { email, password: PASSWORD, ip: `198.51.100.${ipCounter % 250}` });
  return { userId: id, email: email.toLowerCase(), browser };
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; requestId: string } };
}

/** Call a route handler as `browser` with an optional JSON body and organization header. */
export async function call<P = Record<string, never>>(
  browser: Browser,
  handler: Handler<P>,
  { method = "GET", path = "/api/x", body, orgId, params, headers: extra = {} }: { method?: string; path?: string; body?: unknown; orgId?: string; params?: P; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = new Headers({ "x-forwarded-for": `198.51.100.${(ipCounter += 1) % 250}`, ...extra });
  if (body !== undefined) headers.set("content-type", "application/json");
  if (orgId) headers.set("x-organization-id", orgId);
  const req = new Request(`http://127.0.0.1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const res = await as(browser, () => handler(req, { params: Promise.resolve((params ?? {}) as P) }));
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer["body"]) : {} };
}
