import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every route under app/api has one of a few shapes, and each shape's wrapper holds its
 * security step (docs/adr/0011-member-route.md):
 *
 * - member routes: `memberRoute(action, …)` resolves session, organization, transaction and
 *   authorization before the handler runs;
 * - a short list of signed-in routes that act in no organization: `sessionRoute(…)`;
 * - provider routes (webhooks/, laml/): their own verifying wrapper, never a session;
 * - a short list of public routes, each with the reason it needs no member session.
 *
 * No route resolves a session or authorizes by itself, no route holds SQL, and each stays a
 * few lines of request/response mapping.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");

/** Public by design, and why. Only these may skip the wrappers (and read an optional session). */
const PUBLIC: Record<string, string> = {
  "app/api/auth/sign-in/route.ts": "creates the session",
  "app/api/auth/session/route.ts": "adopts a Supabase email link's session, verified with Supabase first",
  "app/api/health/live/route.ts": "liveness probe",
  "app/api/health/ready/route.ts": "readiness probe",
  "app/api/metrics/route.ts": "Prometheus scrapes: the bearer token (METRICS_TOKEN) is the credential; none configured, 404",
  "app/api/evidence/jwks/route.ts": "public keys: anyone verifying a bundle needs them",
  "app/api/evidence/tsa/route.ts": "the TSA certificate: anyone verifying a bundle pins it",
  "app/api/storage/[...path]/route.ts": "the URL's signature is the authorization",
  "app/api/invitations/preview/route.ts": "the invitation token is the credential",
  "app/api/invitations/accept/route.ts": "the session is optional: signed out, a password creates the invited account",
  "app/api/auth/address-proof/route.ts": "asks for a link sent to the address itself; the same answer for every address",
  "app/api/auth/address-proof/confirm/route.ts": "the link's token is the credential: it proves the address",
  "app/api/openapi.json/route.ts": "the OpenAPI document: it describes the API and reveals no data",
  "app/api/docs/route.ts": "the OpenAPI document as a page: it describes the API and reveals no data",
};

/** Signed in, but acting in no organization (so `organization_required` would be wrong). */
const SESSION_ONLY = [
  "GET app/api/me/route.ts",
  "POST app/api/auth/sign-out/route.ts",
  "GET app/api/realtime/token/route.ts",
  "POST app/api/members/route.ts",
];

const isProvider = (rel: string) => rel.startsWith("app/api/webhooks/") || rel.startsWith("app/api/laml/");

/** What only the wrappers may do: resolve a session or an organization, authorize, open a transaction. */
const WRAPPER_ONLY = ["requireSession", "getSession", "activeOrgId", "authorize", "withMember", "withUser", "asService"];
/** The optional session of the accept route is the one exception. */
const ALLOWED: Record<string, string[]> = { "app/api/invitations/accept/route.ts": ["getSession"] };

const MAX_CODE_LINES = 20;

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}

const routes = routeFiles(path.join(ROOT, "app/api")).map((file) => ({
  rel: path.relative(ROOT, file).split(path.sep).join("/"),
  source: readFileSync(file, "utf8"),
}));

/** The wrapper each exported method is built with: `export const GET = memberRoute(…)`, or through a local const. */
function handlers(source: string): { method: string; wrapper: string }[] {
  return [...source.matchAll(/export\s+const\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s*=\s*([\w$]+)\s*(\(|<|;)/g)].map((m) => {
    let wrapper = m[2]!;
    if (m[3] === ";") {
      const local = new RegExp(`const\\s+${wrapper}\\s*=\\s*([\\w$]+)\\s*[(<]`).exec(source);
      wrapper = local?.[1] ?? wrapper;
    }
    return { method: m[1]!, wrapper };
  });
}

/** Lines that are neither blank, comments nor imports. */
function codeLines(source: string): number {
  let inComment = false;
  let count = 0;
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    if (inComment) {
      if (line.includes("*/")) inComment = false;
      continue;
    }
    if (!line || line.startsWith("//")) continue;
    if (line.startsWith("/*")) {
      inComment = !line.includes("*/");
      continue;
    }
    if (line.startsWith("import ") || line === "\"server-only\";") continue;
    count += 1;
  }
  return count;
}

describe("route shape", () => {
  it("finds the routes, and every listed exception still exists", () => {
    expect(routes.length).toBeGreaterThan(10);
    const files = new Set(routes.map((r) => r.rel));
    for (const file of [...Object.keys(PUBLIC), ...SESSION_ONLY.map((s) => s.split(" ")[1]!)]) expect(files, file).toContain(file);
  });

  it("every member route is a memberRoute; sessionRoute only where listed", () => {
    const wrong: string[] = [];
    for (const { rel, source } of routes) {
      if (PUBLIC[rel] || isProvider(rel)) continue;
      const found = handlers(source);
      if (found.length === 0) wrong.push(`${rel}: no exported handler found`);
      for (const { method, wrapper } of found) {
        const expected = SESSION_ONLY.includes(`${method} ${rel}`) ? "sessionRoute" : "memberRoute";
        if (wrapper !== expected) wrong.push(`${method} ${rel}: ${wrapper} (expected ${expected})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("no route resolves a session, an organization or a transaction, or authorizes, by itself", () => {
    const wrong: string[] = [];
    for (const { rel, source } of routes) {
      for (const name of WRAPPER_ONLY) {
        if (ALLOWED[rel]?.includes(name)) continue;
        // Imported, or called as a function of its own (a method of the same name, such as
        // supabase-js's `auth.getSession()`, or a response field, is something else).
        const imported = new RegExp(`import\\s*(type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}`).test(source);
        const called = new RegExp(`(?<![.\\w$])${name}\\s*[(<]`).test(source);
        if (imported || called) wrong.push(`${rel}: ${name}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("no route holds SQL", () => {
    const wrong: string[] = [];
    for (const { rel, source } of routes) {
      // A tagged template on a connection or transaction (tx`…`, sql()`…`, tx<Row[]>`…`), raw SQL, or the driver itself.
      if (/\b(tx|sql|db|service|trx)\s*(\(\s*\))?\s*(<[^`;]*>)?\s*`/.test(source)) wrong.push(`${rel}: tagged SQL template`);
      if (/\.unsafe\s*\(/.test(source)) wrong.push(`${rel}: unsafe()`);
      if (/from\s+["']@\/lib\/db(\/client)?["']/.test(source)) wrong.push(`${rel}: imports the database client`);
      if (/\b(select|insert\s+into|update\s+\w+(\.\w+)?\s+set|delete\s+from)\b[^"\n]*\b(from|values|where|set)\b/i.test(source.replace(/^\s*(\/\/|\*|\/\*).*$/gm, ""))) {
        wrong.push(`${rel}: SQL text`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`every route is at most ${MAX_CODE_LINES} lines of code (imports and comments aside)`, () => {
    const long = routes.map(({ rel, source }) => ({ rel, lines: codeLines(source) })).filter((r) => r.lines > MAX_CODE_LINES);
    expect(long).toEqual([]);
  });
});
