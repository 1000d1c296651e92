import "server-only";
import type { z } from "zod";
import { config } from "@/lib/config";
import { withRequestId } from "@/lib/correlation";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "@/lib/errors";
import { crossSiteRefusal } from "@/lib/http/cross-site";
import { takePrereadBody } from "@/lib/http/preread";
import { errorResponse } from "@/lib/http/respond";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { describeRoute } from "@/lib/http/route-contract";
import { logger, type Logger } from "@/lib/logger";
import { findUnsafeJson, textProblem } from "@/lib/pg-safe";

export interface RouteContext<P> {
  params: P;
  requestId: string;
  log: Logger;
}

type NextContext<P> = { params: Promise<P> };

/**
 * Wrap a route handler: a request id (the proxy's, or a new one) on the logger and on the
 * response, a state-changing request from another site refused before anything else (403
 * `cross_site_request`; provider callbacks excepted, lib/http/cross-site.ts), and every thrown
 * error mapped to `{ error: { code, message, requestId } }`.
 */
export function route<P = Record<string, never>>(
  handler: (req: Request, ctx: RouteContext<P>) => Promise<Response>,
) {
  // Public unless a wrapper around it says otherwise (lib/http/route-contract.ts).
  return describeRoute(async (req: Request, next: NextContext<P>): Promise<Response> => {
    const requestId = requestIdFrom(req.headers);
    const { pathname } = new URL(req.url);
    const log = logger().child({ requestId, method: req.method, path: pathname });
    try {
      const refused = crossSiteRefusal({ method: req.method, pathname, headers: req.headers, publicBaseUrl: () => config().publicBaseUrl });
      if (refused) throw refused;
      const params = next?.params ? await next.params : ({} as P);
      // Everything the handler awaits runs under its request id: the jobs it enqueues and the
      // provider requests it makes carry it (lib/correlation.ts).
      const res = await withRequestId(requestId, () => handler(req, { params, requestId, log }));
      res.headers.set(REQUEST_ID_HEADER, requestId);
      return res;
    } catch (err) {
      return errorResponse(err, requestId, log);
    }
  }, { auth: "public" });
}

/** Read the body once, refusing more than `limitBytes` without buffering the excess. */
export async function readText(req: Request, limitBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const bytes = takePrereadBody(req);
  if (bytes) {
    if (bytes.byteLength > limitBytes) throw new PayloadTooLargeError(limitBytes);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  }
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      // Not awaited: cancelling one branch of a tee'd body resolves only when the other is cancelled too.
      void reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const JSON_LIMIT_BYTES = 64 * 1024;

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/**
 * Read, parse and validate a JSON body; each failure is a 4xx with a message that says which.
 * Before the schema sees it, the whole value (keys included) is checked for what Postgres cannot
 * hold — NUL characters, lone surrogates, non-finite numbers, absurd nesting — so no route can
 * forget to, and nothing is written for such a body. `optional`: a request with no body at all
 * is read as `{}`.
 */
export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  limitBytes = JSON_LIMIT_BYTES,
  { optional = false }: { optional?: boolean } = {},
): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  // An optional body may be left out entirely (no body, no content type): the schema reads `{}`.
  if (optional && req.body === null && type === "") return parsed(schema, {});
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new UnsupportedMediaTypeError("Send the body as application/json.");
  }
  const raw = await readText(req, limitBytes);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ValidationError("The body is not valid JSON.");
  }
  const unsafe = findUnsafeJson(value);
  if (unsafe) {
    throw new ValidationError(`${unsafe.path}: ${unsafe.message}`, { issues: [unsafe] });
  }
  return parsed(schema, value);
}

/**
 * Read a text body (a CSV upload, say) of one of `mediaTypes`, once, at most `limitBytes`: 415
 * for another type, 413 past the limit, 400 for text Postgres cannot hold (a NUL), then the
 * schema decides (given the whole text as a string).
 */
export async function readTextBody<S extends z.ZodType>(req: Request, schema: S, mediaTypes: readonly string[], limitBytes: number): Promise<z.infer<S>> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (!mediaTypes.some((t) => type.startsWith(t))) {
    throw new UnsupportedMediaTypeError(`Send the body as ${mediaTypes.join(" or ")}.`);
  }
  const raw = await readText(req, limitBytes);
  const problem = textProblem(raw);
  if (problem) throw new ValidationError(`The body ${problem}.`, { issues: [{ path: "", message: problem }] });
  return parsed(schema, raw);
}

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = issuesOf(result.error);
    const first = issues[0];
    throw new ValidationError(first ? `${first.path || "body"}: ${first.message}` : "Invalid body.", { issues });
  }
  return result.data;
}

/**
 * Validate a request's query string (first value of each key) the way `readJson` validates a
 * body: every value must be text Postgres can hold, then the schema decides. 400 naming the field.
 */
export function readQuery<S extends z.ZodType>(req: Request | URL, schema: S): z.infer<S> {
  const url = req instanceof URL ? req : new URL(req.url);
  // No prototype: a key such as __proto__ or constructor is just a key.
  const values: Record<string, string> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(values, key)) continue;
    const problem = textProblem(key) ?? textProblem(value);
    if (problem) throw new ValidationError(`Query: ${textProblem(key) ? "a key" : key}: ${problem}`, { issues: [{ path: key, message: problem }] });
    values[key] = value;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    const first = issues[0];
    throw new ValidationError(first ? `Query: ${first.path || "query"}: ${first.message}` : "Invalid query.", { issues });
  }
  return parsed.data;
}

export { clientIp } from "@/lib/http/client-ip";
