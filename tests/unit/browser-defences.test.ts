import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { crossSiteReason, type CrossSiteInput } from "@/lib/http/cross-site";
import { route } from "@/lib/http/route";
import { pageContentSecurityPolicy, securityHeaders } from "@/lib/http/security-headers";

/**
 * The browser-side defences as rules (docs/adr/0026). tests/e2e/browser-defences.spec.ts checks
 * that every route of the running server answers with them.
 */
const BASE = "https://verbatim.example.com";
const NONCE = "bm9uY2Utbm9uY2Utbm9uY2U=";

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

function ask(headers: Record<string, string>, { method = "POST", pathname = "/api/calls" } = {}): string | null {
  const input: CrossSiteInput = { method, pathname, headers: new Headers(headers), publicBaseUrl: () => BASE };
  return crossSiteReason(input);
}

describe("the headers every response carries", () => {
  it("forbid framing and sniffing, keep URLs on our origin and deny the features the app does not use", () => {
    const headers = securityHeaders({ publicBaseUrl: BASE });
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    for (const feature of ["camera", "microphone", "geolocation", "payment", "usb", "display-capture"]) {
      expect(headers["permissions-policy"]).toContain(`${feature}=()`);
    }
    // <audio> plays recordings, autoplaying once the person presses play: not denied.
    expect(headers["permissions-policy"]).not.toContain("autoplay");
    const csp = directives(headers["content-security-policy"]!);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("carry HSTS only when the public origin is https", () => {
    expect(securityHeaders({ publicBaseUrl: BASE })["strict-transport-security"]).toBe("max-age=63072000");
    expect(securityHeaders({ publicBaseUrl: "http://127.0.0.1:3000" })["strict-transport-security"]).toBeUndefined();
    expect(securityHeaders({ publicBaseUrl: "http://verbatim.example.com" })["strict-transport-security"]).toBeUndefined();
  });
});

describe("the pages' Content-Security-Policy", () => {
  const production = { publicBaseUrl: BASE, dev: false, requestOrigin: BASE };

  it("runs only scripts carrying the nonce (and what they load), never inline or eval in production", () => {
    const csp = directives(pageContentSecurityPolicy(NONCE, production));
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'"]);
    expect(csp.get("style-src")).toEqual(["'self'", `'nonce-${NONCE}'`]);
    expect(csp.get("style-src-attr")).toEqual(["'unsafe-inline'"]);
    for (const name of ["object-src", "frame-src", "frame-ancestors", "base-uri", "worker-src"]) expect(csp.get(name), name).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("media-src")).toEqual(["'self'", BASE]);
    expect(csp.has("upgrade-insecure-requests")).toBe(true);
  });

  it("allows eval, inline styles and the HMR websocket in development only", () => {
    const csp = directives(pageContentSecurityPolicy(NONCE, { publicBaseUrl: "http://127.0.0.1:3000", dev: true, requestOrigin: "http://localhost:3000" }));
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'", "'unsafe-eval'"]);
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "ws://localhost:3000"]);
    expect(csp.has("upgrade-insecure-requests")).toBe(false);
  });

  it("reaches Supabase (Realtime, Storage) and Sentry's ingest when they are configured", () => {
    const csp = directives(pageContentSecurityPolicy(NONCE, {
      ...production,
      supabaseUrl: "https://abc.supabase.co",
      sentryDsn: "https://key@o1.ingest.sentry.io/2",
    }));
    expect(csp.get("connect-src")).toEqual(["'self'", "https://abc.supabase.co", "wss://abc.supabase.co", "https://o1.ingest.sentry.io"]);
    expect(csp.get("media-src")).toEqual(["'self'", BASE, "https://abc.supabase.co"]);
  });
});

describe("cross-site state-changing requests", () => {
  const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

  it("are refused on every state-changing method, and only on those", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "post"]) expect(ask(evil, { method }), method).toBe("sec-fetch-site: cross-site");
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(ask(evil, { method }), method).toBeNull();
  });

  it("are refused from a sibling subdomain too (same-site), where SameSite cookies do not help", () => {
    expect(ask({ "sec-fetch-site": "same-site", origin: "https://other.example.com" })).toBe("sec-fetch-site: same-site");
  });

  it("are told by Origin when the browser sends no Fetch Metadata", () => {
    expect(ask({ origin: "https://evil.example" })).toBe("origin: another site");
    expect(ask({ origin: "https://verbatim.example.com.evil.example" })).toBe("origin: another site");
    expect(ask({ origin: "null" })).toBe("origin: null");
    expect(ask({ origin: "file://" })).toBe("origin: another site");
  });

  it("pass from the app's own pages: PUBLIC_BASE_URL's origin, or the host the request was sent to", () => {
    expect(ask({ origin: BASE, "sec-fetch-site": "same-origin" })).toBeNull();
    expect(ask({ origin: BASE })).toBeNull();
    // The embedded default reached by another name than PUBLIC_BASE_URL's.
    expect(ask({ origin: "http://localhost:3000", host: "localhost:3000" })).toBeNull();
    expect(ask({ origin: "http://localhost:3001", host: "localhost:3000" })).toBe("origin: another site");
    // A no-referrer page's own request: the browser says same-origin, the Origin is "null".
    expect(ask({ origin: "null", "sec-fetch-site": "same-origin" })).toBeNull();
    // Something the person did themselves (a bookmark, the address bar).
    expect(ask({ "sec-fetch-site": "none" })).toBeNull();
  });

  it("pass when no browser is involved (no Origin, no Sec-Fetch-Site)", () => {
    expect(ask({})).toBeNull();
  });

  it("pass on the signed provider callbacks, which carry no cookies and prove themselves", () => {
    for (const pathname of ["/api/webhooks/signalwire/x/status", "/api/webhooks/assemblyai", "/api/laml/x", "/api/laml/x/gather"]) {
      expect(ask(evil, { pathname }), pathname).toBeNull();
    }
    expect(ask(evil, { pathname: "/api/webhooksx" })).not.toBeNull();
  });
});

describe("route(): every route handler refuses them itself, before its handler runs", () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, { PUBLIC_BASE_URL: BASE, LOG_LEVEL: "silent" });
    resetConfig();
  });
  afterAll(() => {
    process.env = saved;
    resetConfig();
  });

  it("answers 403 cross_site_request in the error shape, and runs the handler for the app's own request", async () => {
    let ran = 0;
    const handler = route(async () => {
      ran += 1;
      return Response.json({ ok: true });
    });
    const ctx = { params: Promise.resolve({}) };
    const refused = await handler(new Request(`${BASE}/api/calls`, { method: "POST", headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" } }), ctx);
    expect(refused.status).toBe(403);
    const body = await refused.json();
    expect(body.error).toMatchObject({ code: "cross_site_request", reason: "sec-fetch-site: cross-site", requestId: refused.headers.get("x-request-id") });
    expect(ran).toBe(0);

    const own = await handler(new Request(`${BASE}/api/calls`, { method: "POST", headers: { origin: BASE, "sec-fetch-site": "same-origin" } }), ctx);
    expect(own.status).toBe(200);
    expect(ran).toBe(1);
  });
});
