import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signWebhook } from "@/scripts/simulator/webhook-sender";
import { DEMO_PASSWORD, placeCallFromPage, signIn, watchPolicyViolations } from "./support";

/**
 * The browser-side defences (docs/adr/0026), against the production server:
 *
 * - every route the app has — each app/**∕route.ts method and page.tsx, the machine routes
 *   bin/machine-routes.ts serves without Next, the static files, a 404, a malformed path —
 *   answers with the headers, whatever its status (200, 3xx, 400, 401, 403, 404, 405);
 * - every state-changing method refuses a request from another site (403
 *   `cross_site_request`), except the signed provider callbacks, which still verify and run;
 * - a person signs in, places a call, opens Settings and plays the recording without one CSP
 *   violation, and another site cannot frame the page.
 *
 * The routes are read from the filesystem, so a new one is checked without being listed here.
 */
/** The server playwright.config.ts starts. */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100)}`;
const OWNER = "owner@acme.test";
const UUID = "00000000-0000-4000-8000-00000000dead";
/** What a dynamic segment is filled with: unknown ids (404), a token that is no invitation. */
const SAMPLES: Record<string, string> = { version: "1", token: "no-such-invitation-token" };
const CATCH_ALL_SAMPLE = "org/call/recording.wav";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number] | "HEAD";
const STATE_CHANGING = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);

/** The app's own page asking (what the browser sends from one of our pages). */
const OWN = { origin: BASE, "sec-fetch-site": "same-origin" };
/** Variants of another site's page asking: Fetch Metadata, a sibling subdomain, and Origin alone (older browsers). */
const FOREIGN: Record<string, Record<string, string>> = {
  "cross-site": { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
  "same-site": { origin: "https://sibling.verbatim.example", "sec-fetch-site": "same-site" },
  "foreign Origin": { origin: "https://evil.example" },
};

// ---------------------------------------------------------------------------------------------
// The routes, from the filesystem

interface AppRoute {
  file: string;
  /** A concrete path for the route's template. */
  path: string;
  methods: Method[];
  page: boolean;
  /** Served by bin/machine-routes.ts, outside Next. */
  machine: boolean;
  /** Signed provider callbacks (webhooks, LaML): exempt from the cross-site rule. */
  provider: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full.split(path.sep).join("/")];
  });
}

function concretePath(file: string): string {
  const segments = path.dirname(file).split("/").slice(1).filter((s) => !/^\(.*\)$/.test(s));
  const filled = segments.map((s) => {
    if (s.startsWith("[...")) return CATCH_ALL_SAMPLE;
    const param = /^\[(.+)\]$/.exec(s)?.[1];
    return param ? (SAMPLES[param] ?? UUID) : s;
  });
  return `/${filled.join("/")}`;
}

const MACHINE_ROUTE_FILES = [...readFileSync("bin/machine-routes.ts", "utf8").matchAll(/import\("@\/(app\/[^"]+\/route)"\)/g)].map((m) => `${m[1]}.ts`);

const ROUTES: AppRoute[] = walk("app").flatMap((file): AppRoute[] => {
  const name = path.basename(file);
  if (name === "page.tsx") return [{ file, path: concretePath(file), methods: ["GET"], page: true, machine: false, provider: false }];
  if (name !== "route.ts") return [];
  const source = readFileSync(file, "utf8");
  const methods = [...source.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD)\b/g)].map((m) => m[1] as Method);
  const routePath = concretePath(file);
  const provider = routePath.startsWith("/api/webhooks/") || routePath.startsWith("/api/laml/");
  return [{ file, path: routePath, methods, page: false, machine: MACHINE_ROUTE_FILES.includes(file), provider }];
});

// ---------------------------------------------------------------------------------------------
// Plain HTTP, so that nothing is normalised (malformed paths, Host) and a stream can be cut off

interface Answer {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
}

function send(method: Method, target: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const base = new URL(BASE);
  return new Promise((resolve, reject) => {
    // A declared length: Node sends a DELETE's body without one otherwise, which the server reads as a second request.
    const sized = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    const req = httpRequest({ host: base.hostname, port: base.port, method, path: target, headers: sized, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (name !== "set-cookie" && value !== undefined) flat[name] = String(value);
        resolve({ status: res.statusCode ?? 0, headers: flat, cookies: res.headers["set-cookie"] ?? [], body: Buffer.concat(chunks).toString("utf8") });
      };
      // An event stream (the SSE endpoint) never ends: its headers are what is checked.
      const cutOff = setTimeout(() => {
        res.destroy();
        done();
      }, 3000);
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(cutOff);
        done();
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function signInCookie(): Promise<string> {
  const res = await send("POST", "/api/auth/sign-in", { ...OWN, "content-type": "application/json" }, JSON.stringify({ email: OWNER, password: DEMO_PASSWORD() }));
  expect(res.status, res.body).toBe(200);
  return res.cookies.map((c) => c.split(";")[0]).join("; ");
}

/** A cookie that ends the session (sign-out): the sweep signs in again. */
const endsSession = (res: Answer) => res.cookies.some((c) => /max-age=0|expires=thu, 01 jan 1970/i.test(c));

/** A signed SignalWire callback (the provider's own signature over the public URL), or headers for the rest. */
function providerRequest(route: AppRoute, method: Method): { target: string; headers: Record<string, string>; body?: string } {
  if (!route.path.startsWith("/api/webhooks/signalwire/") && !route.path.startsWith("/api/laml/")) return { target: route.path, headers: {} };
  const { signingKey } = JSON.parse(readFileSync(".test-data/e2e/carrier.json", "utf8")) as { signingKey: string };
  const target = route.path.startsWith("/api/laml/") && !route.path.endsWith("/gather") ? `${route.path}?step=start` : route.path;
  const params: Record<string, string> = method === "POST" ? { CallSid: "CA0123456789abcdef0123456789abcdef", CallStatus: "ringing" } : {};
  return {
    target,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook(signingKey, `${BASE}${target}`, params) },
    ...(method === "POST" ? { body: new URLSearchParams(params).toString() } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// What each answer must carry

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

function expectDefences(res: Answer, what: string): void {
  const h = res.headers;
  expect(h["x-frame-options"], what).toBe("DENY");
  expect(h["x-content-type-options"], what).toBe("nosniff");
  expect(h["referrer-policy"], what).toBe("same-origin");
  expect(h["cross-origin-opener-policy"], what).toBe("same-origin");
  for (const feature of ["camera", "microphone", "geolocation", "payment"]) expect(h["permissions-policy"], what).toContain(`${feature}=()`);
  // PUBLIC_BASE_URL is http here: no HSTS (tests/unit/browser-defences.test.ts covers https).
  expect(h["strict-transport-security"], what).toBeUndefined();
  const policy = h["content-security-policy"];
  expect(policy, what).toBeTruthy();
  // One policy, not two joined: a second would be enforced as well.
  expect(policy!.includes(","), `${what}: ${policy}`).toBe(false);
  const csp = directives(policy!);
  expect(csp.get("frame-ancestors"), what).toEqual(["'none'"]);
  const scripts = csp.get("script-src") ?? csp.get("default-src")!;
  expect(scripts, what).not.toContain("'unsafe-inline'");
  expect(scripts, what).not.toContain("'unsafe-eval'");
  if ((h["content-type"] ?? "").startsWith("text/html")) {
    // A page: its scripts run by this response's nonce, and each one carries it.
    const nonce = scripts.map((s) => /^'nonce-(.+)'$/.exec(s)?.[1]).find(Boolean);
    expect(nonce, `${what}: a page's policy has a nonce`).toBeTruthy();
    const tags = res.body.match(/<script\b[^>]*>/g) ?? [];
    // The API reference (lib/openapi/reference-page.ts) is the one page rendered with no script at all.
    if (!/ \/api\/docs\b/.test(what)) expect(tags.length, what).toBeGreaterThan(0);
    for (const tag of tags) expect(tag, what).toContain(`nonce="${nonce}"`);
  }
}

// ---------------------------------------------------------------------------------------------

test.describe.configure({ mode: "serial" });

test("the route list is read from the app: every page, API route and machine route is in it", () => {
  expect(ROUTES.filter((r) => r.page).map((r) => r.path).sort()).toEqual(expect.arrayContaining(["/", "/login"]));
  expect(ROUTES.filter((r) => !r.page).length).toBeGreaterThan(40);
  expect(MACHINE_ROUTE_FILES.length).toBeGreaterThan(0);
  for (const file of MACHINE_ROUTE_FILES) expect(ROUTES.map((r) => r.file), file).toContain(file);
  for (const route of ROUTES) expect(route.methods.length, route.file).toBeGreaterThan(0);
});

test("every route answers with the headers, signed in or out, whatever the status; pages with a nonce on every script", async () => {
  test.setTimeout(180_000);
  let cookie = await signInCookie();
  const statuses = new Set<number>();
  const check = (res: Answer, what: string) => {
    expectDefences(res, what);
    statuses.add(res.status);
    // Requests from the app's own pages, and from clients that are no browser, are never refused as cross-site.
    // (As an error's code: the API reference page names every code in its text.)
    expect(res.body, what).not.toMatch(/"code":\s*"cross_site_request"/);
  };

  for (const route of ROUTES) {
    // The methods it has, and one it has not (405).
    const missing = METHODS.find((m) => !route.methods.includes(m));
    for (const method of [...route.methods, ...(route.page || !missing ? [] : [missing])]) {
      if (route.provider) {
        const { target, headers, body } = providerRequest(route, method);
        check(await send(method, target, headers, body), `${method} ${target} (provider${route.machine ? ", served without Next" : ""})`);
        continue;
      }
      check(await send(method, route.path), `${method} ${route.path} signed out`);
      const signedIn = await send(method, route.path, { ...OWN, cookie });
      check(signedIn, `${method} ${route.path} signed in`);
      if (endsSession(signedIn)) cookie = await signInCookie();
    }
  }

  // Static files: public/ and the build's own scripts and styles.
  for (const file of walk("public")) {
    const target = `/${path.relative("public", file)}`;
    check(await send("GET", target), `GET ${target}`);
  }
  const login = await send("GET", "/login");
  const assets = [...login.body.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)].map((m) => m[1]!);
  expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
  expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
  for (const asset of new Set(assets)) check(await send("GET", asset), `GET ${asset}`);
  check(await send("GET", "/_next/static/chunks/no-such-chunk.js"), "a missing static file");

  // Nothing there: the not-found page (rendered with a nonce), the API's 404, the sign-in redirect.
  check(await send("GET", "/no-such-page", { cookie }), "GET /no-such-page signed in");
  check(await send("GET", "/no-such-page"), "GET /no-such-page signed out");
  check(await send("GET", "/api/no-such-route", { cookie }), "GET /api/no-such-route signed in");
  // A path the front server refuses before any router.
  for (const target of ["/api/calls/%c0", "/invite/%c0", "/api/laml/%c0"]) check(await send("GET", target), `GET ${target}`);

  for (const status of [200, 307, 400, 401, 403, 404, 405]) expect([...statuses], `a ${status} answer was checked`).toContain(status);
});

test("a page's nonce is new on every request", async () => {
  const nonces = await Promise.all([1, 2, 3].map(async () => {
    const res = await send("GET", "/login");
    return /'nonce-([^']+)'/.exec(res.headers["content-security-policy"] ?? "")?.[1];
  }));
  expect(nonces.every(Boolean)).toBe(true);
  expect(new Set(nonces).size).toBe(3);
});

test("every state-changing route refuses another site's request with 403 cross_site_request; signed provider callbacks still run", async () => {
  test.setTimeout(120_000);
  const cookie = await signInCookie();
  for (const route of ROUTES) {
    const methods = route.page ? (["POST"] as Method[]) : route.methods.filter((m) => STATE_CHANGING.has(m));
    for (const method of methods) {
      if (route.provider) {
        // Server to server, signed, no cookies: another site's markers change nothing.
        const { target, headers, body } = providerRequest(route, method);
        const res = await send(method, target, { ...headers, ...FOREIGN["cross-site"] }, body);
        expectDefences(res, `${method} ${target}`);
        expect(res.body, `${method} ${target}`).not.toContain("cross_site_request");
        expect(res.status, `${method} ${target}`).toBeLessThan(500);
        if (headers["x-signalwire-signature"]) expect([401, 403], `${method} ${target} verified: ${res.body}`).not.toContain(res.status);
        continue;
      }
      for (const [variant, foreign] of Object.entries(FOREIGN)) {
        // With the person's session cookie: the case the refusal exists for.
        const what = `${method} ${route.path} (${variant})`;
        const res = await send(method, route.path, { ...foreign, cookie, "content-type": "application/json" }, "{}");
        expectDefences(res, what);
        expect(res.status, `${what}: ${res.body}`).toBe(403);
        expect(JSON.parse(res.body).error, what).toMatchObject({ code: "cross_site_request", requestId: res.headers["x-request-id"] });
      }
    }
  }
  // Sign-out was among the refused: the session still works.
  expect((await send("GET", "/api/me", { cookie })).status).toBe(200);
});

// ---------------------------------------------------------------------------------------------
// In the browser

test("signing in, placing a call, opening Settings and playing the recording breaks no policy", async ({ page }) => {
  test.setTimeout(150_000);
  const violations = await watchPolicyViolations(page);
  await signIn(page, OWNER);
  expect(violations, "after signing in").toEqual([]);

  const callId = await placeCallFromPage(page, "+14155550123");
  const detail = page.getByTestId("call-detail");
  await expect(detail).toHaveAttribute("data-detail-call-id", callId);

  await page.getByRole("button", { name: "Settings", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await expect(dialog).toBeVisible();
  for (const tab of await dialog.getByRole("tab").all()) {
    await tab.click();
    await expect(tab).toHaveAttribute("aria-selected", "true");
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);

  const play = detail.getByRole("button", { name: "Play recording" });
  await expect(play).toBeVisible({ timeout: 90_000 });
  await play.click();
  const audio = detail.getByTestId("recording-audio");
  const duration = await audio.evaluate(async (el: HTMLAudioElement) => {
    if (el.readyState < 1) await new Promise((resolve, reject) => {
      el.addEventListener("loadedmetadata", resolve, { once: true });
      el.addEventListener("error", () => reject(new Error(`audio error ${el.error?.code}`)), { once: true });
    });
    return el.duration;
  });
  expect(duration).toBeGreaterThan(1);
  expect(violations, "after the call, Settings and the recording").toEqual([]);

  // A page that was not found is rendered per request too, with the nonce its scripts need.
  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Open Voice Operations" }).click();
  await expect(page.getByRole("button", { name: "Settings", exact: true })).toBeEnabled();
  expect(violations).toEqual([]);
});

test("the watcher sees a violation when there is one", async ({ page }) => {
  const violations = await watchPolicyViolations(page);
  await page.goto("/login");
  // What an injected tag would try: an image from another site, and a <style> without the nonce.
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", '<img src="https://evil.example/pixel.png" alt=""><style>body{color:red}</style>');
  });
  await expect.poll(() => violations.join("\n")).toMatch(/img-src[\s\S]*style-src-elem|style-src-elem[\s\S]*img-src/);
});

test("another site cannot frame the page", async ({ page }) => {
  await page.route("http://framer.example/", (route) => route.fulfill({ contentType: "text/html", body: `<iframe src="${BASE}/login"></iframe>` }));
  // The load event waits for the frame, refused or not.
  await page.goto("http://framer.example/", { waitUntil: "load" });
  const framed = page.frames().find((f) => f !== page.mainFrame());
  expect(framed).toBeDefined();
  expect(framed!.url()).not.toContain("/login");
  expect(await framed!.getByLabel("Email").count()).toBe(0);
});
