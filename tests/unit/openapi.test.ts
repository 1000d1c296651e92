import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "zod-openapi";
import { placeCallRequestSchema, scoreRequestSchema } from "@/lib/calls/contracts";
import { routeContract, type RouteContract } from "@/lib/http/route-contract";
import { openApiDocument, pathOf } from "@/lib/openapi/document";
import { API, METHODS, type Method, type Operation, type RouteFile } from "@/lib/openapi/operations";
import { referencePage } from "@/lib/openapi/reference-page";

/**
 * The OpenAPI document (lib/openapi, docs/adr/0043) against the routes themselves. Every
 * app/api/**\/route.ts is imported; each exported method's wrapper says what it is
 * (lib/http/route-contract.ts: public, session, member with its action, body, query and limits,
 * or a provider webhook with its proof), and the schemas a public or provider route reads itself
 * (`readJson(req, X)`, `readQuery(url, X)`) are found in its source and imported from where it
 * imports them. The document must describe exactly those routes and methods, with the very same
 * schema objects, both ways; the drift cases at the end show each disagreement failing.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEFAULT_BODY_LIMIT = 64 * 1024;

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [path.relative(ROOT, full).split(path.sep).join("/")] : [];
  });
}

/** What one exported method of a route file is, as its wrapper and its source say. */
interface MethodFacts {
  contract: RouteContract | undefined;
  /** Schemas the handler reads itself (readJson/readTextBody → body, readQuery → query). */
  reads: { body?: unknown; bodyLimit?: number; query?: unknown; unresolved: string[] };
}

type RouteFacts = Map<RouteFile, Map<Method, MethodFacts>>;

/** `readJson(req, schema…)`, `readQuery(url, schema)`: the schema identifiers a handler reads with, by what they read. */
async function readsOf(file: string): Promise<MethodFacts["reads"]> {
  const source = readFileSync(path.join(ROOT, file), "utf8");
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const name of m[1]!.split(",").map((n) => n.trim().replace(/^type\s+/, "")).filter(Boolean)) imports.set(name.split(/\s+as\s+/).at(-1)!, m[2]!);
  }
  const reads: MethodFacts["reads"] = { unresolved: [] };
  for (const m of source.matchAll(/\bread(Json|TextBody|Query)\(\s*[^,()]+,\s*([A-Za-z_$][\w$]*)(?:,\s*([\d\s*]+)[,)])?/g)) {
    const [, what, name, limit] = m as unknown as [string, string, string, string | undefined];
    // `readJson(req, schema, 8 * 1024)`: the limit, when written as a product of numbers.
    if (what === "Json") reads.bodyLimit = limit ? limit.split("*").reduce((n, f) => n * Number(f.trim()), 1) : DEFAULT_BODY_LIMIT;
    const from = imports.get(name);
    if (!from) {
      reads.unresolved.push(name);
      continue;
    }
    const value = ((await import(/* @vite-ignore */ from)) as Record<string, unknown>)[name];
    if (what === "Query") reads.query = value;
    else reads.body = value;
  }
  return reads;
}

async function loadRoutes(): Promise<RouteFacts> {
  const facts: RouteFacts = new Map();
  for (const file of routeFiles(path.join(ROOT, "app/api")) as RouteFile[]) {
    const mod = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    const reads = await readsOf(file);
    const methods = new Map<Method, MethodFacts>();
    for (const method of METHODS) {
      if (typeof mod[method] === "function") methods.set(method, { contract: routeContract(mod[method]), reads });
    }
    facts.set(file, methods);
  }
  return facts;
}

type Doc = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: { in: string; name: string }[] }>> };

/** Every disagreement between the routes, the list the document is built from, and the document. */
function driftProblems(routes: RouteFacts, api: Record<string, Partial<Record<Method, Operation>>>, doc: Doc): string[] {
  const problems: string[] = [];
  const routePaths = new Set([...routes.keys()].map((f) => pathOf(f)));
  for (const file of routes.keys()) if (!api[file]) problems.push(`${file}: a route the document does not describe`);
  for (const file of Object.keys(api)) if (!routes.has(file as RouteFile)) problems.push(`${file}: described, but no such route`);
  for (const p of Object.keys(doc.paths)) if (!routePaths.has(p)) problems.push(`${p}: a path in the document with no route`);
  for (const [file, methods] of routes) {
    const described = api[file] ?? {};
    const docItem = doc.paths[pathOf(file)] ?? {};
    for (const method of Object.keys(described) as Method[]) if (!methods.has(method)) problems.push(`${method} ${file}: described, but the route exports no ${method}`);
    for (const method of Object.keys(docItem)) if (!methods.has(method.toUpperCase() as Method)) problems.push(`${method.toUpperCase()} ${file}: in the document, not exported`);
    for (const [method, facts] of methods) {
      const at = `${method} ${file}`;
      const op = described[method];
      if (!op) {
        problems.push(`${at}: exported, not described`);
        continue;
      }
      if (!docItem[method.toLowerCase()]) problems.push(`${at}: not in the document`);
      problems.push(...methodProblems(at, op, facts, docItem[method.toLowerCase()]));
    }
  }
  return problems;
}

function methodProblems(at: string, op: Operation, { contract, reads }: MethodFacts, docOp: Doc["paths"][string][string] | undefined): string[] {
  const problems: string[] = [];
  if (!contract) return [`${at}: not made by a route wrapper (route, sessionRoute, memberRoute, webhookRoute)`];
  if (reads.unresolved.length) problems.push(`${at}: reads with ${reads.unresolved.join(", ")}, declared in the route file; move it to lib/ so the document can name it`);
  if (contract.auth !== op.auth.kind) return [...problems, `${at}: the route is ${contract.auth}, the document says ${op.auth.kind}`];
  let body: unknown;
  let query: unknown;
  if (contract.auth === "member" && op.auth.kind === "member") {
    if (contract.action !== op.auth.action) problems.push(`${at}: authorizes ${contract.action}, the document says ${op.auth.action}`);
    body = contract.body;
    query = contract.query;
    if (contract.body && (op.body?.limit ?? DEFAULT_BODY_LIMIT) !== contract.bodyLimit) problems.push(`${at}: reads at most ${contract.bodyLimit} bytes, the document says ${op.body?.limit ?? DEFAULT_BODY_LIMIT}`);
    const types = contract.textBody ?? (contract.body ? ["application/json"] : undefined);
    if (types && JSON.stringify(types) !== JSON.stringify(op.body?.mediaTypes ?? ["application/json"])) problems.push(`${at}: takes ${types.join(", ")}, the document says otherwise`);
    if (Boolean(contract.optionalBody) !== Boolean(op.body?.optional)) problems.push(`${at}: the body's being optional disagrees`);
    if (Boolean(contract.upload) !== Boolean(op.upload)) problems.push(`${at}: an upload, or not, disagrees`);
  } else {
    if (contract.auth === "webhook" && op.auth.kind === "webhook" && contract.scheme !== op.auth.scheme) problems.push(`${at}: verified by ${contract.scheme}, the document says ${op.auth.scheme}`);
    // A provider's body is read by its verifier (a signed form, AssemblyAI's JSON), not by the route.
    body = contract.auth === "webhook" ? op.body?.schema : reads.body;
    query = reads.query;
    if (reads.bodyLimit !== undefined && contract.auth !== "webhook" && reads.bodyLimit !== (op.body?.limit ?? DEFAULT_BODY_LIMIT)) {
      problems.push(`${at}: reads at most ${reads.bodyLimit} bytes, the document says ${op.body?.limit ?? DEFAULT_BODY_LIMIT}`);
    }
  }
  if (body !== op.body?.schema) problems.push(`${at}: the body schema is not the route's`);
  if (query !== op.query) problems.push(`${at}: the query schema is not the route's`);
  // The served document renders exactly the route's schemas.
  if (docOp && body && contract.auth !== "webhook") {
    const rendered = createSchema(body as never, { io: "input" }).schema;
    for (const [type, media] of Object.entries(docOp.requestBody?.content ?? {})) {
      if (JSON.stringify(media.schema) !== JSON.stringify(rendered)) problems.push(`${at}: the document's ${type} body is not the route's schema rendered`);
    }
    if (!docOp.requestBody) problems.push(`${at}: the document has no request body`);
  }
  if (docOp && query) {
    const names = Object.keys((query as { shape?: Record<string, unknown> }).shape ?? {}).sort();
    const inDoc = (docOp.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(inDoc)) problems.push(`${at}: the document's query parameters are ${inDoc.join(", ")}, the route's ${names.join(", ")}`);
  }
  return problems;
}

let routes: RouteFacts;
let doc: Doc;

beforeAll(async () => {
  routes = await loadRoutes();
  doc = openApiDocument() as unknown as Doc;
}, 120_000);

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)", async () => {
    const result = await new Validator().validate(structuredClone(openApiDocument()) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((openApiDocument() as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("describes every route under app/api, and only those, with its methods, wrapper, action, schemas and limits", () => {
    expect(routes.size).toBeGreaterThan(70);
    expect(driftProblems(routes, API, doc)).toEqual([]);
  });

  it("lists each route's errors: its kind's, the roles and plan of its 403, and its own codes", () => {
    const codes = (p: string, m: string, status: string) => (doc.paths[p]![m] as unknown as { responses: Record<string, { "x-error-codes"?: string[]; description: string }> }).responses[status];
    expect(codes("/api/calls", "post", "401")?.["x-error-codes"]).toEqual(["unauthenticated"]);
    expect(codes("/api/calls", "post", "403")?.["x-error-codes"]).toEqual(["cross_site_request", "forbidden", "plan_required"]);
    expect(codes("/api/calls", "post", "403")?.description).toContain("Owners, admins and operators");
    expect(codes("/api/calls", "post", "409")?.["x-error-codes"]).toEqual(["organization_required", "idempotency_key_reused"]);
    expect(codes("/api/calls", "post", "422")?.["x-error-codes"]).toContain("do_not_call");
    expect(codes("/api/calls", "post", "413")?.description).toContain("8192 bytes");
    expect(codes("/api/calls", "post", "429")?.["x-error-codes"]).toEqual(["rate_limited"]);
    expect(codes("/api/webhooks/signalwire/{callId}/status", "post", "403")?.["x-error-codes"]).toEqual(["invalid_signature"]);
    expect(codes("/api/webhooks/signalwire/{callId}/status", "post", "401")).toBeUndefined();
    expect(codes("/api/webhooks/assemblyai", "post", "401")?.["x-error-codes"]).toEqual(["invalid_webhook_auth"]);
    expect(codes("/api/health/live", "get", "401")).toBeUndefined();
    expect(codes("/api/voice-config", "put", "409")?.["x-error-codes"]).toContain("stale_version");
  });

  it("names only error codes the code can answer", () => {
    const source = (dir: string): string => readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
      .map((e) => readFileSync(path.join(e.parentPath, e.name), "utf8"))
      .join("\n");
    const code = source("lib") + source("app");
    const missing = Object.values(API).flatMap((methods) => Object.values(methods).flatMap((op) => Object.values(op.errors ?? {}).flat()))
      .filter((c) => !c.includes("<") && !code.includes(`"${c}"`));
    expect(missing).toEqual([]);
  });

  it("is served at /api/openapi.json and as a page at /api/docs with no script", async () => {
    const json = await import("@/app/api/openapi.json/route");
    const res = await json.GET(new Request("http://127.0.0.1/api/openapi.json"), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(((await res.json()) as { paths: object }).paths).toEqual(JSON.parse(JSON.stringify(doc.paths)));

    const page = await import("@/app/api/docs/route");
    const html = await (await page.GET(new Request("http://127.0.0.1/api/docs"), { params: Promise.resolve({}) })).text();
    expect(html).not.toMatch(/<script|<style|javascript:/i);
    for (const [p, item] of Object.entries(doc.paths)) for (const m of Object.keys(item)) expect(html, `${m} ${p}`).toContain(`${m.toUpperCase()} ${p.replace(/&/g, "&#38;")}`);
    expect(referencePage({ openapi: "3.1.0", info: { title: "<x>" }, paths: {} })).not.toContain("<x>");
  });
});

describe("drift between a route and the document fails the test", () => {
  const callsFile = "app/api/calls/route.ts" as RouteFile;
  const placeCall = () => API[callsFile]!.POST!;

  it("a route missing from the document", () => {
    const { [callsFile]: _dropped, ...rest } = API;
    expect(driftProblems(routes, rest, doc)).toContain(`${callsFile}: a route the document does not describe`);
  });

  it("a described route, or a document path, with no route", () => {
    const ghost = "app/api/ghost/route.ts";
    expect(driftProblems(routes, { ...API, [ghost]: { GET: placeCall() } }, doc)).toContain(`${ghost}: described, but no such route`);
    const withPath = { paths: { ...doc.paths, "/api/ghost": {} } };
    expect(driftProblems(routes, API, withPath)).toContain("/api/ghost: a path in the document with no route");
  });

  it("a method the route does not export, or one it exports that is not described", () => {
    expect(driftProblems(routes, { ...API, [callsFile]: { ...API[callsFile], DELETE: placeCall() } }, doc)).toContain(`DELETE ${callsFile}: described, but the route exports no DELETE`);
    expect(driftProblems(routes, { ...API, [callsFile]: { GET: API[callsFile]!.GET! } }, doc)).toContain(`POST ${callsFile}: exported, not described`);
  });

  it("a body schema, a limit, an action or a kind that is not the route's", () => {
    const swap = (changes: Partial<Operation>) => driftProblems(routes, { ...API, [callsFile]: { ...API[callsFile], POST: { ...placeCall(), ...changes } } }, doc);
    expect(placeCall().body?.schema).toBe(placeCallRequestSchema);
    expect(swap({ body: { schema: scoreRequestSchema, limit: 8 * 1024 } })).toContain(`POST ${callsFile}: the body schema is not the route's`);
    expect(swap({ body: { schema: placeCallRequestSchema } })).toContain(`POST ${callsFile}: reads at most 8192 bytes, the document says 65536`);
    expect(swap({ auth: { kind: "member", action: "operations.view" } })).toContain(`POST ${callsFile}: authorizes calls.place, the document says operations.view`);
    expect(swap({ auth: { kind: "public", why: "no" } })).toContain(`POST ${callsFile}: the route is member, the document says public`);
  });

  it("a public route's body limit that is not the one it reads with", () => {
    const signIn = "app/api/auth/sign-in/route.ts" as RouteFile;
    const changed = { ...API, [signIn]: { POST: { ...API[signIn]!.POST!, body: { ...API[signIn]!.POST!.body!, limit: 1024 } } } };
    expect(driftProblems(routes, changed, doc)).toContain(`POST ${signIn}: reads at most 8192 bytes, the document says 1024`);
  });

  it("a query a public or provider route reads itself that is not the document's", () => {
    const laml = "app/api/laml/[callId]/route.ts" as RouteFile;
    const changed = { ...API, [laml]: { ...API[laml], GET: { ...API[laml]!.GET!, query: undefined } } };
    expect(driftProblems(routes, changed, doc)).toContain(`GET ${laml}: the query schema is not the route's`);
  });
});
