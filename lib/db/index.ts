import { sql, type Tx, type Sql } from "@/lib/db/client";
import type { Claims } from "@/lib/db/claims";
import { config } from "@/lib/config";
import { UnauthenticatedError, UnavailableError } from "@/lib/errors";

export type { Tx, Sql, Db } from "@/lib/db/client";

/**
 * Run `fn` in a transaction as the `authenticated` role with the caller's claims in
 * `request.jwt.claims`: the same mechanism PostgREST uses, so `auth.uid()` and every RLS policy
 * see exactly what they would see on hosted Supabase. RLS is the boundary; queries still filter
 * by organization as well.
 */
export async function withUser<T>(claims: Claims, fn: (tx: Tx) => Promise<T>, db: Sql = sql()): Promise<T> {
  return transaction(db, (tx) => [userClaims(tx, claims)], fn);
}

/**
 * Within a transaction that ran as the service, continue as the caller: the claims and role are
 * sent now, not awaited, so the statements awaited next go with them (Postgres runs them in
 * order; a failure fails the transaction). Call it only once the service's statements have
 * been answered: an awaited query is sent a microtask later, so one merely issued before this
 * could run after it. Placing a call reads its new call back this way, in the transaction that
 * recorded the carrier's answer.
 */
export function continueAsUser(tx: Tx, claims: Claims): void {
  userClaims(tx, claims).execute();
}

function userClaims(tx: Tx, claims: Claims) {
  return tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                   set_config('request.jwt.claim.sub', ${claims.sub}, true),
                   set_config('role', 'authenticated', true)`;
}

/**
 * A transaction on a reserved connection whose BEGIN, `first` statements and the statements
 * `fn` issues in the same tick leave together (postgres.js pipelines them; postgres.js's own
 * `begin` would wait for BEGIN's answer first). Postgres runs them in order, so `fn`'s
 * statements are planned after the role is set. As with `begin`, a statement that failed fails
 * the transaction even if `fn` caught its error: Postgres answers that COMMIT with ROLLBACK,
 * and that throws.
 */
async function transaction<T>(db: Sql, first: (tx: Tx) => { execute(): PromiseLike<unknown> }[], fn: (tx: Tx) => Promise<T>): Promise<T> {
  const conn = await db.reserve();
  // `fn` gets the reserved connection as its transaction (nothing here uses savepoints).
  const tx = conn as unknown as Tx;
  let open = false;
  try {
    const sent = [conn.unsafe("begin").execute(), ...first(tx).map((q) => q.execute())];
    open = true;
    const [result] = await Promise.all([fn(tx), ...sent]);
    open = false;
    const committed = await conn.unsafe("commit");
    if (committed.command !== "COMMIT") throw new Error("A statement of this transaction failed; it was rolled back.");
    return result as T;
  } catch (err) {
    if (open) await conn.unsafe("rollback").catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/**
 * Run `fn` in a transaction as `service_role`, which bypasses RLS. The one privileged path:
 * webhooks, jobs, sign-in and seeding. Every query inside must name the organization itself.
 */
export async function asService<T>(fn: (tx: Tx) => Promise<T>, db: Sql = sql()): Promise<T> {
  return transaction(db, (tx) => [tx`select set_config('role', 'service_role', true)`], fn);
}

/** What `private.request_context` answers: the caller's memberships and the one acted in. */
export interface RequestContext<M> {
  memberships: M[];
  membership: M | null;
}

/**
 * `withUser` for a member request, whose first statement does three things at once: sets the
 * caller's claims, asks `private.request_context` whether the session `liveCheck` is still in
 * `auth.sessions` (revoked or expired: 401, nothing else runs) and which membership the request
 * acts in (`orgId`, or the active one when null), then sets the role. Target-list expressions
 * run in order, so the function sees the claims; it is security definer, so the role set after
 * it does not matter to it, and every later statement runs as `authenticated` under RLS.
 *
 * BEGIN goes out with that statement (one network round trip for both: postgres.js's `begin`
 * would wait for BEGIN's answer first), on a reserved connection: BEGIN, context, then `fn`'s
 * statements, then COMMIT. As with `begin`, a statement that failed fails the request even if
 * `fn` caught its error: Postgres answers such a COMMIT with ROLLBACK, and that throws.
 */
export async function withRequest<M, T>(
  claims: Claims,
  { liveCheck, orgId }: { liveCheck: string | null; orgId: string | null },
  fn: (tx: Tx, context: RequestContext<M>) => Promise<T>,
  db: Sql = sql(),
  { timeoutMs = config().databaseRequestTimeoutMs }: { timeoutMs?: number } = {},
): Promise<T> {
  return withDeadline(timeoutMs, (expired) => requestTransaction(claims, { liveCheck, orgId }, fn, db, expired));
}

/**
 * A member request's answer within `ms`: a database that stops answering (paused, stalled, a
 * connection that hangs) is a 503 after `ms`, never a request that waits forever. The work
 * goes on in the background until the server answers; `expired()` then tells it to roll back
 * rather than commit, so a request answered 503 changes nothing (unless its COMMIT was already
 * on the wire: the message says to check before saving again).
 */
async function withDeadline<T>(ms: number, work: (expired: () => boolean) => Promise<T>): Promise<T> {
  let expired = false;
  let timer: NodeJS.Timeout | undefined;
  const running = work(() => expired);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      running.catch(() => undefined);
      reject(new UnavailableError(`The database did not answer within ${Math.round(ms / 1000)} s. Try again in a few seconds; if you were saving something, reload first to see whether it was saved.`));
    }, ms);
  });
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function requestTransaction<M, T>(
  claims: Claims,
  { liveCheck, orgId }: { liveCheck: string | null; orgId: string | null },
  fn: (tx: Tx, context: RequestContext<M>) => Promise<T>,
  db: Sql,
  expired: () => boolean,
): Promise<T> {
  const conn = await db.reserve();
  // Waited for a connection past the deadline: the caller has its 503; do nothing.
  if (expired()) {
    conn.release();
    throw new UnavailableError("The request outlived its deadline before it began.");
  }
  let open = false;
  try {
    const begun = conn.unsafe("begin").execute();
    open = true;
    const context = conn<{ context: RequestContext<M> | null }[]>`
      select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true) as claims,
             set_config('request.jwt.claim.sub', ${claims.sub}, true) as sub,
             private.request_context(${liveCheck}::uuid, ${orgId}::uuid) as context,
             set_config('role', 'authenticated', true) as role`;
    const [[row]] = await Promise.all([context, begun]);
    if (!row?.context) throw new UnauthenticatedError();
    // `fn` gets the reserved connection as its transaction (no savepoints here).
    const result = await fn(conn as unknown as Tx, row.context);
    // Answered 503 already: what it did is not to be kept.
    if (expired()) throw new UnavailableError("The request outlived its deadline; rolled back.");
    open = false;
    const committed = await conn.unsafe("commit");
    if (committed.command !== "COMMIT") throw new Error("A statement of this request failed; its transaction was rolled back.");
    return result;
  } catch (err) {
    if (open) await conn.unsafe("rollback").catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/**
 * `private.request_context` as one statement on the pool (its own implicit transaction), for a
 * member request that only needs to know it may act (placing a call, inviting, the stream):
 * the claims it sets last for that statement only. Null when the session is gone.
 */
export async function requestContext<M>(
  claims: Claims,
  { liveCheck, orgId }: { liveCheck: string | null; orgId: string | null },
  db: Sql = sql(),
  { timeoutMs = config().databaseRequestTimeoutMs }: { timeoutMs?: number } = {},
): Promise<RequestContext<M>> {
  const [row] = await withDeadline(timeoutMs, () => db<{ context: RequestContext<M> | null }[]>`
    select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true) as claims,
           set_config('request.jwt.claim.sub', ${claims.sub}, true) as sub,
           private.request_context(${liveCheck}::uuid, ${orgId}::uuid) as context`.then((rows) => rows));
  if (!row?.context) throw new UnauthenticatedError();
  return row.context;
}
