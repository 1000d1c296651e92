import "server-only";
import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { SESSION_COOKIE } from "@/lib/auth/local";
import { errorBodySchema } from "@/lib/http/contracts";
import { WEBHOOK_AUTH_HEADER } from "@/lib/intelligence/submit-transcription";
import { API, pathParamSchema, type Method, type Operation, type RouteFile } from "@/lib/openapi/operations";
import { ORG_HEADER } from "@/lib/rbac/org-header";
import { POLICY, whoMay } from "@/lib/rbac/policy";

/**
 * The OpenAPI 3.1 document of the whole API, generated from lib/openapi/operations.ts (the
 * route's own zod contracts) by zod-openapi, which renders zod v4 schemas through zod's own JSON
 * Schema conversion (docs/adr/0043). Built once per process: it depends on no request.
 */

/** `app/api/calls/[id]/route.ts` → `/api/calls/{id}`; a catch-all `[...path]` is one `{path}`. */
export function pathOf(file: RouteFile): string {
  const dir = file.slice("app".length, -"/route.ts".length);
  return dir.replace(/\[\.\.\.([^\]]+)\]/g, "{$1}").replace(/\[([^\]]+)\]/g, "{$1}");
}

export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

const STATE_CHANGING = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

/**
 * Every error an operation can answer, by status, with its codes and why: what its kind answers
 * (the wrappers in lib/http, the one mapping in lib/http/respond.ts), then the route's own.
 */
export function errorsOf(method: Method, path: string, op: Operation): Map<ErrorStatus, { codes: Set<string>; why: string[] }> {
  const out = new Map<ErrorStatus, { codes: Set<string>; why: string[] }>();
  const add = (status: ErrorStatus, code: string, why?: string) => {
    const entry = out.get(status) ?? { codes: new Set<string>(), why: [] };
    entry.codes.add(code);
    if (why && !entry.why.includes(why)) entry.why.push(why);
    out.set(status, entry);
  };
  const { auth } = op;
  const hasInput = Boolean(op.body || op.query);
  if (STATE_CHANGING.has(method) && auth.kind !== "webhook") add(403, "cross_site_request", "A state-changing request from another site's page.");
  if (hasInput) add(400, "invalid_request", "The query or body does not match its schema; the message names the field.");
  if (op.body) {
    add(413, "payload_too_large", `A body over ${op.body.limit ?? 64 * 1024} bytes.`);
    add(415, "unsupported_media_type", `A body that is not ${(op.body.mediaTypes ?? ["application/json"]).join(" or ")}.`);
  }
  if (auth.kind === "member" || auth.kind === "session") {
    add(401, "unauthenticated", "No session, or one that expired or was revoked.");
    add(429, "rate_limited", "The person's request limit (Retry-After says when).");
  }
  if (auth.kind === "member") {
    const rule = POLICY[auth.action];
    add(409, "organization_required", `Several organizations and none chosen: send ${ORG_HEADER}.`);
    add(403, "forbidden", `Allowed: ${whoMay(auth.action)} (${rule.label.toLowerCase()}).`);
    add(403, "plan_required", `Needs the ${rule.plan} plan or above.`);
    add(404, "not_found", pathParamsOf(path).length ? "Another organization's record, an unknown one, or an id that is not one." : "Another organization named in the header.");
  }
  if (auth.kind === "webhook") {
    if (auth.scheme === "signalwireSignature") add(403, "invalid_signature", "X-SignalWire-Signature missing or wrong (checked before anything else).");
    else add(401, "invalid_webhook_auth", `${WEBHOOK_AUTH_HEADER} missing or wrong.`);
    add(404, "not_found", "The call or request the URL names does not exist (or is malformed).");
    add(429, "rate_limited", "Too many requests from the address, about the item, or unverifiable ones.");
  }
  for (const [status, codes] of Object.entries(op.errors ?? {})) for (const code of codes ?? []) add(Number(status) as ErrorStatus, code);
  add(500, "internal", "A bug: quote the request id.");
  add(503, "unavailable", "The database is not answering (Retry-After).");
  return out;
}

const errorResponse = errorBodySchema.meta({ id: "Error", description: "`{ error: { code, message, requestId } }`, sometimes with details of the error's own." });

function operationOf(file: RouteFile, method: Method, op: Operation): ZodOpenApiOperationObject {
  const path = pathOf(file);
  const names = pathParamsOf(path);
  const headers: Record<string, z.ZodType> = {};
  if (op.auth.kind === "member") headers[ORG_HEADER] = z.uuid().optional().meta({ description: "The organization to act in (default: the person's active one)." });
  for (const h of op.headers ?? []) headers[h.name] = (h.required ? z.string() : z.string().optional()).meta({ description: h.description });
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, answer] of Object.entries(op.responses)) {
    responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = answer.schema || answer.mediaType
      ? { description: answer.description, content: { [answer.mediaType ?? "application/json"]: answer.schema ? { schema: answer.schema } : {} } }
      : { description: answer.description };
  }
  for (const [status, { codes, why }] of errorsOf(method, path, op)) {
    const list = [...codes];
    responses[`${status}`] ??= {
      description: `${list.map((c) => `\`${c}\``).join(", ")}${why.length ? `: ${why.join(" ")}` : ""}`,
      content: { "application/json": { schema: errorResponse } },
      "x-error-codes": list,
    };
  }
  const security = op.auth.kind === "public" ? [] : op.auth.kind === "webhook" ? [{ [op.auth.scheme]: [] }] : [{ sessionCookie: [] }];
  const body = op.body
    ? { required: !op.body.optional, content: Object.fromEntries((op.body.mediaTypes ?? ["application/json"]).map((t) => [t, { schema: op.body!.schema }])) }
    : op.upload
      ? { required: true, description: op.upload.description, content: Object.fromEntries(op.upload.mediaTypes.map((t) => [t, { schema: { type: "string" as const, contentMediaType: t } }])) }
      : undefined;
  return {
    operationId: operationIdOf(method, path),
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [path.split("/")[2]!],
    security,
    ...(op.auth.kind === "public" ? { "x-public": op.auth.why } : {}),
    ...(op.auth.kind === "member" ? { "x-action": op.auth.action, "x-roles": [...POLICY[op.auth.action].roles], "x-plan": POLICY[op.auth.action].plan } : {}),
    requestParams: {
      ...(names.length ? { path: z.object(Object.fromEntries(names.map((n) => [n, pathParamSchema(n)]))) } : {}),
      ...(op.query ? { query: op.query as z.ZodObject } : {}),
      ...(Object.keys(headers).length ? { header: z.object(headers) } : {}),
    },
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** `GET /api/calls/{id}/evidence` → `getCallsIdEvidence`. */
function operationIdOf(method: Method, path: string): string {
  const words = path.replace(/^\/api\//, "").split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

let built: ReturnType<typeof createDocument> | undefined;

export function openApiDocument(): ReturnType<typeof createDocument> {
  if (built) return built;
  const paths: ZodOpenApiPathsObject = {};
  for (const [file, methods] of Object.entries(API) as [RouteFile, Partial<Record<Method, Operation>>][]) {
    const item: Record<string, ZodOpenApiOperationObject> = {};
    for (const [method, op] of Object.entries(methods) as [Method, Operation][]) item[method.toLowerCase()] = operationOf(file, method, op);
    paths[pathOf(file)] = item;
  }
  built = createDocument({
    openapi: "3.1.0",
    info: {
      title: "Verbatim API",
      version: "1",
      description:
        "Voice operations with proof. Member routes act in one organization: a session (cookie) and, with several organizations, the `x-organization-id` header; " +
        "another organization's records answer 404, a role or plan that may not 403. Provider webhooks are verified before anything else. " +
        "Every answer carries `x-request-id`; errors are `{ error: { code, message, requestId } }`. Generated from the routes' zod contracts.",
    },
    components: {
      securitySchemes: {
        sessionCookie: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "The session from POST /api/auth/sign-in (embedded default); in Supabase mode, Supabase Auth's cookies." },
        signalwireSignature: { type: "apiKey", in: "header", name: "X-SignalWire-Signature", description: "HMAC over PUBLIC_BASE_URL + path + query and the sorted form fields, keyed by the project's signing key (docs/webhooks.md)." },
        assemblyaiWebhookSecret: { type: "apiKey", in: "header", name: WEBHOOK_AUTH_HEADER, description: "The per-request secret chosen when the transcription was submitted; only its SHA-256 is stored." },
      },
    },
    paths,
  });
  return built;
}
