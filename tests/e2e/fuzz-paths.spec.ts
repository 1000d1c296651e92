import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { apiSignIn } from "./support";

/**
 * Issue 17 §6: hostile path segments, over HTTP against the production server, since the
 * decoding that used to fail (`/invite/%c0`, `/api/calls/%c0` → plain-text 500) happens in the
 * server and router before any handler. Every dynamic segment of every route and page (found on
 * disk, so a new one is covered unnamed) is filled with fast-check values: valid and invalid
 * percent-escapes (overlong UTF-8, lone continuation bytes, truncated sequences, `%zz`, a bare
 * `%`), encoded dots and slashes, NUL, full unicode, very long segments, SQL and path tricks,
 * uuids and numbers. Signed in (the request reaches the handlers) as members of several roles,
 * GET and POST each. Properties: never 5xx; an API answer in JSON is in the error shape when it
 * is an error.
 */
const SEED = 20261206;
const RUNS = Number(process.env.FUZZ_PATH_RUNS ?? 24);

function dynamicRoutes(dir: string, base = ""): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return dynamicRoutes(full, `${base}/${name}`);
    return (name === "route.ts" || name === "page.tsx") && base.includes("[") ? [base] : [];
  });
}
const ROUTES = dynamicRoutes(path.resolve("app")).sort();

const byte = fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, "0")}`);
const segment = fc.oneof(
  fc.constantFrom("%c0", "%c0%ae", "%ff", "%e0%80", "%ed%a0%80", "%f8%88%80%80%80", "%80", "%", "%zz", "%%", "%2e%2e", "%2f", "%5c", "..", ".", "%00", "a%00b",
    "'%20or%201=1%20--", "00000000-0000-0000-0000-00000000000g", "00000000-0000-4000-8000-000000000000", "-1", "0", "1e400", "NaN", "9".repeat(400), "x".repeat(5000)),
  fc.array(byte, { minLength: 1, maxLength: 12 }).map((bytes) => bytes.join("")),
  fc.string({ unit: "binary", maxLength: 40 }).map((s) => encodeURIComponent((s as string & { toWellFormed(): string }).toWellFormed())),
  fc.uuid().map(String),
  fc.tuple(fc.string({ maxLength: 8 }).map(encodeURIComponent), byte).map(([a, b]) => `${a}${b}`),
).filter((s) => s.length > 0);

test("hostile path segments in every dynamic route and page: never a 5xx, always the error shape", async ({ playwright }, testInfo) => {
  test.setTimeout(300_000);
  const contexts: APIRequestContext[] = [];
  for (const email of ["owner@acme.test", "analyst@acme.test", "operator@acme.test", "viewer@acme.test"]) {
    const context = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
    await apiSignIn(context, email);
    contexts.push(context);
  }
  expect(ROUTES).toEqual(expect.arrayContaining(["/api/calls/[id]/evidence", "/api/storage/[...path]", "/invite/[token]", "/api/members/[userId]"]));

  const statuses = new Map<number, number>();
  const problems: string[] = [];
  let requests = 0;
  for (const [i, route] of ROUTES.entries()) {
    const context = contexts[i % contexts.length]!;
    const samples = fc.sample(fc.array(segment, { minLength: 2, maxLength: 2 }), { numRuns: RUNS, seed: SEED + i });
    for (const [a, b] of samples) {
      const url = route.replace(/\[\.\.\.[^\]]+\]/, `${a}/${b}`).replace(/\[[^\]]+\]/g, (_, offset: number) => (offset === route.indexOf("[") ? a! : b!));
      // Provider callbacks get a method they lack (405, decided before any signature check):
      // unsigned POSTs would spend 127.0.0.1's budget of failed verifications (20 in 10 min)
      // that later specs need. Signed fuzzing of their bodies is tests/integration/fuzz-routes.
      const methods = /^\/api\/(webhooks|laml)\//.test(route) ? ["PUT"] : route.startsWith("/api/") ? ["GET", "POST"] : ["GET"];
      for (const method of methods) {
        const res = await context.fetch(url, { method, data: method === "POST" ? {} : undefined, maxRedirects: 0, failOnStatusCode: false });
        requests++;
        statuses.set(res.status(), (statuses.get(res.status()) ?? 0) + 1);
        if (res.status() >= 500) problems.push(`${method} ${url} → ${res.status()}`);
        else if (route.startsWith("/api/") && res.status() >= 400 && (res.headers()["content-type"] ?? "").includes("json")) {
          const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; requestId?: unknown } } | null;
          if (typeof body?.error?.code !== "string" || typeof body.error.requestId !== "string") problems.push(`${method} ${url} → ${res.status()} without the error shape`);
        }
      }
    }
  }
  await testInfo.attach("fuzz-paths", { body: `${requests} requests over ${ROUTES.length} routes: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n${problems.join("\n")}`, contentType: "text/plain" });
  expect(problems).toEqual([]);
  expect(requests).toBeGreaterThan(ROUTES.length * RUNS);
  for (const c of contexts) await c.dispose();
});
