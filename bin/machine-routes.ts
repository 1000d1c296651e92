/**
 * Machine-to-machine routes served straight from our HTTP server, without Next's router,
 * renderer or proxy: the provider webhooks and LaML (called by SignalWire, possibly hundreds of
 * times a second) and the liveness probe. They are the same route modules Next serves (the
 * `POST`/`GET` exported from app/api/…/route.ts, with the same `route()`/`webhookRoute()`
 * wrappers, verification and limits); only the dispatch differs, so a callback costs what its
 * work costs plus a thin adapter, not a framework request (docs/adr/0013). Everything else goes
 * to Next.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { registerHooks } from "node:module";
import { requestWithBody } from "@/lib/http/preread";

// Route modules start with `import "server-only"`, a build-time marker that throws outside the
// react-server condition, which this process (hosting Next, which needs both React builds) does
// not set. Here, on the server, it is what its own package offers for that case: empty.
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier !== "server-only") return nextResolve(specifier, context);
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, "react-server"] });
  },
});

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type RouteModule = Record<string, unknown>;

interface MachineRoute {
  pattern: RegExp;
  /** Names of the pattern's groups, in order: the route's params. */
  params: string[];
  load: () => Promise<RouteModule>;
}

const ROUTES: MachineRoute[] = [
  { pattern: /^\/api\/webhooks\/signalwire\/([^/]+)\/status$/, params: ["callId"], load: () => import("@/app/api/webhooks/signalwire/[callId]/status/route") },
  { pattern: /^\/api\/webhooks\/signalwire\/([^/]+)\/recording$/, params: ["callId"], load: () => import("@/app/api/webhooks/signalwire/[callId]/recording/route") },
  { pattern: /^\/api\/webhooks\/assemblyai$/, params: [], load: () => import("@/app/api/webhooks/assemblyai/route") },
  { pattern: /^\/api\/laml\/([^/]+)\/gather$/, params: ["callId"], load: () => import("@/app/api/laml/[callId]/gather/route") },
  { pattern: /^\/api\/laml\/([^/]+)$/, params: ["callId"], load: () => import("@/app/api/laml/[callId]/route") },
  { pattern: /^\/api\/health\/live$/, params: [], load: () => import("@/app/api/health/live/route") },
  { pattern: /^\/api\/evidence\/jwks$/, params: [], load: () => import("@/app/api/evidence/jwks/route") },
  { pattern: /^\/api\/evidence\/tsa$/, params: [], load: () => import("@/app/api/evidence/tsa/route") },
];

const loaded = new Map<MachineRoute, Promise<RouteModule>>();

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes: the route's own validation answers 404
  }
}

/** The route module's handler for this request, or null when Next should serve it. */
async function find(method: string, pathname: string): Promise<{ handler: Handler; params: Record<string, string> } | null> {
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    let mod = loaded.get(route);
    if (!mod) {
      mod = route.load();
      loaded.set(route, mod);
    }
    const handler = (await mod)[method];
    // A method the module does not export goes to Next, which answers 405 as it always has.
    if (typeof handler !== "function") return null;
    const params = Object.fromEntries(route.params.map((name, i) => [name, decode(match[i + 1]!)]));
    return { handler: handler as Handler, params };
  }
  return null;
}

/** Largest body a machine route accepts; the route's own limit (64 KiB) answers anything above. */
const MAX_BODY_BYTES = 64 * 1024 + 1;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep one byte past the limit so the route sees an oversized body and answers 413.
    if (size > MAX_BODY_BYTES) {
      chunks.push(chunk.subarray(0, chunk.length - (size - MAX_BODY_BYTES)));
      req.resume();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

/** Serve a machine-to-machine request; false when it is not one (Next serves it). */
export async function serveMachineRoute(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const method = req.method ?? "GET";
  const path = req.url ?? "/";
  const pathname = path.split("?")[0]!;
  if (!pathname.startsWith("/api/webhooks/") && !pathname.startsWith("/api/laml/") && pathname !== "/api/health/live") return false;
  const found = await find(method, pathname);
  if (!found) return false;
  const hasBody = method !== "GET" && method !== "HEAD";
  const url = `http://${req.headers.host ?? "localhost"}${path}`;
  const init = { method, headers: webHeaders(req) };
  // Provider bodies are small (the route refuses more than 64 KiB): read them whole and hand
  // them to the route's body reader, which costs far less than a web stream over the socket.
  // An oversized body is still cut off here, before it is buffered.
  const request = hasBody ? requestWithBody(url, init, await readBody(req)) : new Request(url, init);
  const response = await found.handler(request, { params: Promise.resolve(found.params) });
  const body = response.body === null ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(method === "HEAD" ? undefined : body);
  return true;
}
