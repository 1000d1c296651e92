import "server-only";
import type { z } from "zod";
import { requestSession, requireSession, type Session } from "@/lib/auth";
import { ORG_HEADER } from "@/lib/rbac/org-header";
import { assertUserWithinLimit } from "@/lib/auth/user-limit";
import type { Tx } from "@/lib/db";
import { NotFoundError, UnauthenticatedError } from "@/lib/errors";
import { isUuid } from "@/lib/pg-safe";
import { readJson, readQuery, readTextBody, route, type RouteContext } from "@/lib/http/route";
import { describeRoute } from "@/lib/http/route-contract";
import { authorizeRequest, withMemberRequest, type Membership } from "@/lib/rbac/authorize";
import type { Action } from "@/lib/rbac/policy";

/**
 * The shape of every member request, as `signalwireRoute` is for webhooks: the security steps
 * run here, in this order, before the handler sees anything, so no member route can skip one.
 *
 * 1. the session token's signature and expiry (`requestSession`, no database; 401);
 * 2. the body and query, validated by their schemas, before the transaction opens (a slow
 *    upload holds no pooled connection); their errors answer after 3–5;
 * 3. ONE transaction (`withMemberRequest`) whose first statement checks that the session was
 *    not revoked (401) and resolves the membership: in `x-organization-id`, where
 *    `options.org` says, or else the active organization (stored choice, only membership);
 * 4. the per-user request limit (429; counted in parallel with step 3, shared by every app
 *    process), then 409 `organization_required` when none is active;
 * 5. the action's check (another organization is 404, a role or plan that may not is 403),
 *    then a path id that is not a uuid is 404 too, then the handler in that same transaction.
 *
 * The handler maps one domain call to a response; domain functions receive the membership
 * (or its organization) and do not authorize again, except for finer checks of their own.
 * Errors become `{ error: { code, message, requestId } }` through `route()`.
 */

export interface SessionContext<P> extends RouteContext<P> {
  req: Request;
  session: Session;
}

export interface MemberContext<P, B, Q> extends SessionContext<P> {
  membership: Membership;
  /** `membership.orgId`: the organization the action was authorized for. */
  orgId: string;
  body: B;
  query: Q;
}

export interface MemberTxContext<P, B, Q> extends MemberContext<P, B, Q> {
  /** The caller's transaction (role `authenticated`, RLS on) in which the action was authorized. */
  tx: Tx;
}

export interface MemberRouteOptions<B extends z.ZodType, Q extends z.ZodType> {
  /** The JSON body's schema; read once, at most `bodyLimit` bytes. */
  body?: B;
  bodyLimit?: number;
  /**
   * The body is text of one of these media types (`text/csv`), not JSON: read whole, at most
   * `bodyLimit` bytes, and given to the `body` schema as a string.
   */
  textBody?: readonly string[];
  /** The body may be left out (no body, no content type): the schema then reads `{}`. */
  optionalBody?: boolean;
  /** The query string's schema (`readQuery`). */
  query?: Q;
  /**
   * Where the organization comes from when it is not the active one (choosing the active
   * organization names its target in the body; a stream names the page's). Still authorized.
   * Null: the active one.
   */
  org?: (input: { req: Request; session: Session; body: z.infer<B> }) => string | null | Promise<string | null>;
  /**
   * `false` for a handler that must not run inside one transaction (placing a call: the carrier
   * request happens between two). The action is then authorized in a transaction of its own and
   * the handler, given the membership, opens what it needs.
   */
  transaction?: boolean;
  /**
   * The body is a large upload the handler streams itself (an evidence bundle, up to a
   * gigabyte). Every error answer then closes the connection: it may come before the body was
   * read to its end (refused by session, role, size or a busy server), and reading the rest
   * only to discard it would cost what accepting it does.
   */
  upload?: boolean;
}

type Handler<P> = ReturnType<typeof route<P>>;

/** Path segments that name a record by its uuid: anything else names nothing here. */
const UUID_PARAMS = ["id", "callId"];

/** 404 for a malformed id, once the caller is authorized, as for another organization's id (never a driver error). */
function assertUuidParams(params: unknown): void {
  for (const name of UUID_PARAMS) {
    const value = (params as Record<string, unknown> | undefined)?.[name];
    if (typeof value === "string" && !isUuid(value)) throw new NotFoundError();
  }
}
type NoSchema = z.ZodUndefined;

export function memberRoute<P = Record<string, never>, B extends z.ZodType = NoSchema, Q extends z.ZodType = NoSchema>(
  action: Action,
  handler: (ctx: MemberTxContext<P, z.infer<B>, z.infer<Q>>) => Promise<Response>,
  options?: MemberRouteOptions<B, Q> & { transaction?: true },
): Handler<P>;
export function memberRoute<P = Record<string, never>, B extends z.ZodType = NoSchema, Q extends z.ZodType = NoSchema>(
  action: Action,
  handler: (ctx: MemberContext<P, z.infer<B>, z.infer<Q>>) => Promise<Response>,
  options: MemberRouteOptions<B, Q> & { transaction: false },
): Handler<P>;
export function memberRoute<P, B extends z.ZodType, Q extends z.ZodType>(
  action: Action,
  handler: (ctx: MemberTxContext<P, z.infer<B>, z.infer<Q>>) => Promise<Response>,
  options: MemberRouteOptions<B, Q> = {},
): Handler<P> {
  const handle = route<P>(async (req, ctx) => {
    const request = await requestSession();
    if (!request) throw new UnauthenticatedError();
    const { session } = request;
    // Input is read before the transaction opens; its errors answer after the session and
    // organization checks, in the order the API has always answered (401, 429, 409, 4xx).
    let deferred: unknown;
    let body = undefined as z.infer<B>;
    let query = undefined as z.infer<Q>;
    let named: string | null = null;
    try {
      body = (!options.body
        ? undefined
        : options.textBody
          ? await readTextBody(req, options.body, options.textBody, options.bodyLimit ?? 64 * 1024)
          : await readJson(req, options.body, options.bodyLimit, { optional: options.optionalBody })) as z.infer<B>;
      query = (options.query ? readQuery(req, options.query) : undefined) as z.infer<Q>;
      named = options.org ? await options.org({ req, session, body }) : req.headers.get(ORG_HEADER);
    } catch (err) {
      deferred = err;
    }
    const input = { ...ctx, req, session, body, query };
    // The per-user limit's statement goes out now, on the limits' own connections, beside the
    // transaction's first statement rather than after it: the request waits for one round trip,
    // not two. Its answer is taken where the order of answers says (`before`).
    const limited = assertUserWithinLimit(session.userId).then(() => null, (err: unknown) => ({ err }));
    const guards = {
      before: async () => {
        const refused = await limited;
        if (refused) throw refused.err;
      },
      deferred,
    };
    if (options.transaction === false) {
      const membership = await authorizeRequest(request, action, named || null, guards);
      assertUuidParams(ctx.params);
      const outside = handler as (ctx: MemberContext<P, z.infer<B>, z.infer<Q>>) => Promise<Response>;
      return outside({ ...input, membership, orgId: membership.orgId });
    }
    return withMemberRequest(request, action, named || null, (tx, membership) => {
      assertUuidParams(ctx.params);
      return handler({ ...input, tx, membership, orgId: membership.orgId });
    }, guards);
  });
  const contract = {
    auth: "member" as const,
    action,
    ...(options.body ? { body: options.body, bodyLimit: options.bodyLimit ?? 64 * 1024 } : {}),
    ...(options.textBody ? { textBody: options.textBody } : {}),
    ...(options.optionalBody ? { optionalBody: true } : {}),
    ...(options.query ? { query: options.query } : {}),
    ...(options.upload ? { upload: true } : {}),
  };
  if (!options.upload) return describeRoute(handle, contract);
  return describeRoute<Handler<P>>(async (req, next) => {
    const res = await handle(req, next);
    if (!res.ok) res.headers.set("connection", "close");
    return res;
  }, contract);
}

/**
 * `options.org` for a client that names the organization in the query (`?orgId=`, say), the
 * active one otherwise. Either way `memberRoute` authorizes it: another organization is 404.
 */
export function orgFromQuery(name: string): NonNullable<MemberRouteOptions<z.ZodType, z.ZodType>["org"]> {
  return ({ req }) => new URL(req.url).searchParams.get(name) || req.headers.get(ORG_HEADER);
}

/**
 * A route that needs a signed-in person but no organization (who am I, sign out, the realtime
 * token). Anything done in an organization is a `memberRoute`; tests/unit/route-shape.test.ts
 * lists the few routes allowed to use this instead.
 */
export function sessionRoute<P = Record<string, never>>(handler: (ctx: SessionContext<P>) => Promise<Response>): Handler<P> {
  return describeRoute(route<P>(async (req, ctx) => handler({ ...ctx, req, session: await requireSession() })), { auth: "session" });
}
