import { readdirSync, readFileSync, statSync } from "node:fs";
import { request as request_ } from "node:http";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, freshIp, readmeSignIn, signIn } from "./support";

test("the README's sign-in works in the browser and shows organization, plan and role", async ({ page }) => {
  const { email, password } = readmeSignIn();
  await signIn(page, email, password);
  await expect(page.getByRole("heading", { name: "Voice Operations" })).toBeVisible();
  await expect(page.getByTestId("org-name")).toHaveText("Acme Health");
  await expect(page.getByTestId("org-plan")).toHaveText("global");
  await expect(page.getByTestId("org-role")).toHaveText("owner");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login");
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("each demo role sees its own role and plan", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await expect(page.getByTestId("org-role")).toHaveText("viewer");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login");
  await signIn(page, "owner@borealis.test");
  await expect(page.getByTestId("org-name")).toHaveText("Borealis Realty");
  await expect(page.getByTestId("org-plan")).toHaveText("base");
});

test("a wrong password shows a generic message and stays on /login", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("operator@acme.test");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
});

test("the page without a session redirects to /login", async ({ page }) => {
  const res = await page.request.get("/", { maxRedirects: 0 });
  expect(res.status()).toBe(307);
  expect(res.headers()["location"]).toMatch(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

/** Every route handler under app/api, with each HTTP method it exports. */
function apiRoutes(): { path: string; method: string }[] {
  const routes: { path: string; method: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry === "route.ts") {
        const urlPath = "/" + path.relative("app", dir).split(path.sep)
          .map((seg) => (seg.startsWith("[") ? "00000000-0000-4000-8000-000000000000" : seg)).join("/");
        const source = readFileSync(full, "utf8");
        for (const m of source.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)) routes.push({ path: urlPath, method: m[1]! });
      }
    }
  };
  walk("app/api");
  return routes;
}

// Public by design: probes, sign-in, and endpoints authorized by a signature instead of a session.
// The invitation preview and accept endpoints are public too: the token is the credential, and
// accepting checks the session itself (tests/integration/invitations.test.ts); so is the one
// that adopts a Supabase email link's session (verified with Supabase before any cookie), and
// the two that ask for and use an address proof (the link's token is the credential,
// tests/integration/address-proof.test.ts).
const PUBLIC = [
  /^\/api\/health\//,
  /^\/api\/webhooks\//,
  /^\/api\/laml\//,
  /^\/api\/storage\//,
  /^\/api\/auth\/sign-in$/,
  /^\/api\/auth\/session$/,
  /^\/api\/auth\/address-proof(\/confirm)?$/,
  /^\/api\/invitations\/(preview|accept)$/,
  /^\/api\/evidence\/jwks$/,
  /^\/api\/evidence\/tsa$/,
  // The API's description and its reference page reveal no data (docs/adr/0043).
  /^\/api\/openapi\.json$/,
  /^\/api\/docs$/,
];

test("every API route without a session answers 401 with the error body", async ({ request }) => {
  const routes = apiRoutes().filter((r) => !PUBLIC.some((p) => p.test(r.path)));
  expect(routes.length).toBeGreaterThan(3);
  for (const { path: url, method } of routes) {
    const res = await request.fetch(url, { method, data: method === "GET" ? undefined : {} });
    expect(res.status(), `${method} ${url}`).toBe(401);
    const body = await res.json();
    expect(body.error.code, `${method} ${url}`).toBe("unauthenticated");
    expect(body.error.requestId).toBeTruthy();
  }
});

async function newMember(playwright: import("@playwright/test").PlaywrightWorkerArgs["playwright"], prefix: string, password: string) {
  // A member of its own, so locking it out disturbs no other test.
  const owner = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  await owner.post("/api/auth/sign-in", { data: { email: "owner@acme.test", password: DEMO_PASSWORD() }, headers: { "x-forwarded-for": freshIp() } });
  const email = `${prefix}-${Date.now()}@acme.test`;
  const invited = await owner.post("/api/invitations", { data: { email, role: "analyst" } });
  expect(invited.status()).toBe(201);
  const token = ((await invited.json()).acceptUrl as string).split("/").pop()!;
  const joiner = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const joined = await joiner.post("/api/invitations/accept", { data: { token, password } });
  expect(joined.status()).toBe(200);
  await Promise.all([owner.dispose(), joiner.dispose()]);
  return email;
}

test("a wrong password is a generic 401; after 10 in a row from one address the next is 429, even with the right password", async ({ request, playwright }) => {
  const password = "the right password 123";
  const email = await newMember(playwright, "lockout", password);
  for (let i = 0; i < 10; i++) {
    const res = await request.post("/api/auth/sign-in", { data: { email, password: `wrong-${i}` } });
    expect(res.status()).toBe(401);
    expect((await res.json()).error.message).toBe("Email or password is incorrect.");
  }
  const eleventh = await request.post("/api/auth/sign-in", { data: { email, password } });
  expect(eleventh.status()).toBe(429);
  expect(Number(eleventh.headers()["retry-after"])).toBeGreaterThan(14 * 60);
  expect((await eleventh.json()).error.message).toBe("Too many failed sign-ins. Try again in 15 minutes.");
});

/** A sign-in from a chosen local source address (127.0.0.x are all loopback on Linux). */
function signInFrom(localAddress: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL("/api/auth/sign-in", test.info().project.use.baseURL);
  return new Promise((resolve, reject) => {
    const req = request_(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

test("a fresh X-Forwarded-For (or client-address header) on every failed sign-in does not escape the limit, which follows the real address", async ({ playwright }) => {
  const password = "the right password 456";
  const email = await newMember(playwright, "spoofer", password);
  for (let i = 0; i < 10; i++) {
    const status = await signInFrom("127.0.0.1", { email, password: `wrong-${i}` }, {
      "x-forwarded-for": freshIp(),
      "x-real-ip": freshIp(),
      "x-verbatim-client-ip": freshIp(),
    });
    expect(status).toBe(401);
  }
  // The attacker's next try, whatever address it claims, is refused...
  expect(await signInFrom("127.0.0.1", { email, password }, { "x-forwarded-for": freshIp(), "x-verbatim-client-ip": freshIp() })).toBe(429);
  // ...while the account's owner, really connecting from another address, signs in.
  expect(await signInFrom("127.0.0.2", { email, password })).toBe(200);
});

test("a session cookie edited by hand is rejected", async ({ request, playwright }) => {
  const res = await request.post("/api/auth/sign-in", {
    data: { email: "admin@acme.test", password: DEMO_PASSWORD() },
    headers: { "x-forwarded-for": freshIp() },
  });
  expect(res.ok()).toBe(true);
  const cookie = res.headersArray().find((h) => h.name.toLowerCase() === "set-cookie" && h.value.startsWith("verbatim-session="))!;
  expect(cookie.value).toMatch(/HttpOnly/i);
  expect(cookie.value).toMatch(/SameSite=lax/i);
  const token = cookie.value.split(";")[0]!.slice("verbatim-session=".length);
  expect((await request.get("/api/me")).status()).toBe(200);

  const [h, p, s] = token.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
  claims.sub = "00000000-0000-4000-8000-0000000a0001"; // the owner
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
  const stranger = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const me = await stranger.get("/api/me", { headers: { cookie: `verbatim-session=${forged}` } });
  expect(me.status()).toBe(401);
  await stranger.dispose();
});

test("sign-out revokes the session server-side", async ({ playwright }) => {
  const ctx = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const res = await ctx.post("/api/auth/sign-in", {
    data: { email: "operator@acme.test", password: DEMO_PASSWORD() },
    headers: { "x-forwarded-for": freshIp() },
  });
  const token = res.headersArray().find((h) => h.value.startsWith("verbatim-session="))!.value.split(";")[0]!;
  expect((await ctx.post("/api/auth/sign-out")).status()).toBe(204);
  const replay = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  expect((await replay.get("/api/me", { headers: { cookie: token } })).status()).toBe(401);
  await Promise.all([ctx.dispose(), replay.dispose()]);
});

test("switching to another organization's id answers 404", async ({ request }) => {
  await request.post("/api/auth/sign-in", {
    data: { email: "owner@acme.test", password: DEMO_PASSWORD() },
    headers: { "x-forwarded-for": freshIp() },
  });
  const borealis = "00000000-0000-4000-8000-00000000b001";
  const res = await request.post("/api/session/org", { data: { orgId: borealis } });
  expect(res.status()).toBe(404);
  const members = await request.get("/api/members", { headers: { "x-organization-id": borealis } });
  expect(members.status()).toBe(404);
});

test("the owner of an address takes back the account an inviter created for it, from the sign-in page", async ({ page, playwright }) => {
  const baseURL = test.info().project.use.baseURL!;
  // The inviter is shown the link (no SMTP here) and creates the invitee's account themselves.
  const email = await newMember(playwright, "taken", "the inviter's own password");
  const inviter = await playwright.request.newContext({ baseURL });
  expect((await inviter.post("/api/auth/sign-in", { data: { email, password: "the inviter's own password" }, headers: { "x-forwarded-for": freshIp() } })).status()).toBe(200);

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password, or never chose it?" }).click();
  await expect(page.getByRole("heading", { name: "Set your password" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toContainText("written to the server's outbox");

  // Without SMTP the message is in the outbox of the server's data directory.
  const outbox = path.resolve(".test-data/e2e/outbox");
  const message = readdirSync(outbox).sort().map((name) => readFileSync(path.join(outbox, name), "utf8")).findLast((text) => text.includes(`To: ${email}`));
  const link = /http:\/\/127\.0\.0\.1:\d+(\/password\/[A-Za-z0-9_-]{43})/.exec(message ?? "");
  expect(link, message).not.toBeNull();

  await page.goto(link![1]!);
  await page.getByLabel("New password").fill("the owner's own password");
  await page.getByLabel("Confirm password").fill("the owner's own password");
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page.getByRole("status")).toContainText("Every other session of this account has ended.");
  await expect(page.getByRole("list", { name: "Invitations offered to you again" })).toContainText("Acme Health as analyst");
  expect((await inviter.get("/api/me")).status()).toBe(401);
  await inviter.dispose();
});
