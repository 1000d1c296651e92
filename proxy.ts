import { NextResponse, type NextRequest } from "next/server";
import { auth } from "@/lib/auth";
import type { CookieJar } from "@/lib/auth/cookie-jar";
import { isApiPath, isPublicPath } from "@/lib/auth/gate";
import { config as appConfig } from "@/lib/config";
import { crossSiteRefusal } from "@/lib/http/cross-site";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { CSP_HEADER, newNonce, pageContentSecurityPolicy } from "@/lib/http/security-headers";

/**
 * Next 16's proxy (formerly middleware.ts): gives every request an id and a Content-Security-
 * Policy with its own nonce, refuses state-changing requests from other sites, refreshes the
 * session (Supabase tokens are rotated here and written back as cookies), and turns away
 * requests without a session: 401 JSON for the API, a redirect to /login for pages. Route
 * handlers still verify the session (and the request's site) themselves; this is the first
 * gate, not the only one.
 */
export async function proxy(request: NextRequest) {
  const requestId = requestIdFrom(request.headers);
  const forwarded = new Headers(request.headers);
  forwarded.set(REQUEST_ID_HEADER, requestId);
  const { pathname } = request.nextUrl;

  // Next reads the nonce from the request's policy and stamps it on the scripts it renders; the
  // same policy on the response replaces the front server's strict one (docs/adr/0026). Every
  // page is rendered per request (app/layout.tsx), so each one carries this nonce.
  const { publicBaseUrl, supabase, sentryDsn } = appConfig();
  const csp = pageContentSecurityPolicy(newNonce(), {
    publicBaseUrl,
    dev: process.env.NODE_ENV === "development",
    requestOrigin: `${request.nextUrl.protocol}//${request.headers.get("host") ?? request.nextUrl.host}`,
    supabaseUrl: supabase?.url,
    // The browser's DSN is inlined into its bundle at build time, not into the proxy's: read at
    // run time, with the server's DSN (the same Sentry organization, as a rule) standing in.
    sentryDsn: process.env.NEXT_PUBLIC_SENTRY_DSN || sentryDsn,
  });
  forwarded.set(CSP_HEADER, csp);

  const written: { name: string; value: string; options?: Parameters<CookieJar["set"]>[2] }[] = [];
  const jar: CookieJar = {
    getAll: () => request.cookies.getAll().map(({ name, value }) => ({ name, value })),
    set: (name, value, options) => {
      request.cookies.set(name, value);
      written.push({ name, value, options });
    },
  };

  const finish = (response: NextResponse) => {
    for (const { name, value, options } of written) response.cookies.set(name, value, options);
    // A response that sets session cookies must never be cached by a shared cache.
    if (written.length > 0) response.headers.set("cache-control", "private, no-cache, no-store, no-transform, must-revalidate, max-age=0");
    response.headers.set(REQUEST_ID_HEADER, requestId);
    response.headers.set(CSP_HEADER, csp);
    return response;
  };

  const refused = crossSiteRefusal({ method: request.method, pathname, headers: request.headers, publicBaseUrl: () => publicBaseUrl });
  if (refused) {
    return finish(
      NextResponse.json({ error: { ...refused.details, code: refused.code, message: refused.message, requestId } }, { status: refused.status }),
    );
  }

  if (isPublicPath(pathname)) {
    return finish(NextResponse.next({ request: { headers: forwarded } }));
  }

  const claims = await auth().refresh(jar).catch(() => null);
  if (!claims) {
    if (isApiPath(pathname)) {
      return finish(
        NextResponse.json(
          { error: { code: "unauthenticated", message: "Sign in to continue.", requestId } },
          { status: 401 },
        ),
      );
    }
    const login = new URL("/login", request.url);
    if (pathname !== "/") login.searchParams.set("next", pathname + request.nextUrl.search);
    return finish(NextResponse.redirect(login));
  }

  // Refreshed cookies must reach this request's handlers too: rebuild the forwarded Cookie header.
  if (written.length > 0) forwarded.set("cookie", request.cookies.toString());
  return finish(NextResponse.next({ request: { headers: forwarded } }));
}

/**
 * The favicon and robots.txt (public/) are static and public: no session to refresh.
 * Machine-to-machine routes never enter the proxy: webhooks and LaML verify their own
 * signatures, health probes and signed storage URLs need no session, and none of them has a
 * session to refresh. Running the proxy there only cost time (it took the public-path exit
 * anyway). Their route wrapper (lib/http/route.ts) still stamps `x-request-id` on responses.
 * Every prefix excluded here is public in lib/auth/gate.ts (tests/unit/proxy-matcher.test.ts),
 * except `POST /api/evidence/verify`: a member route that checks the session itself, kept out
 * because Next buffers the body of every request the proxy runs on, in memory, and cuts it at
 * 10 MB, where that route takes bundles up to a gigabyte as a stream (docs/adr/0028).
 */
export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon\\.ico$|favicon\\.svg$|robots\\.txt$|api/webhooks/|api/laml/|api/health/|api/storage/|api/evidence/verify$).*)"],
};
