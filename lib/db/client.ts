import postgres from "postgres";
import { requireDatabaseUrl, config } from "@/lib/config";

/**
 * The process's connection pool (postgres.js). Not `server-only` so scripts and tests share it;
 * nothing in a client bundle imports it. Kept on globalThis so Next's dev reloads reuse it.
 */
export type Sql = postgres.Sql;
/** A transaction handle. Query functions take one first: `listCalls(tx, { orgId })`. */
export type Tx = postgres.TransactionSql;
export type Db = Sql | Tx;

const globalForDb = globalThis as unknown as { verbatimSql?: Sql; verbatimLimitsSql?: Sql };

export function sql(): Sql {
  globalForDb.verbatimSql ??= connect(requireDatabaseUrl(), config().databasePoolMax);
  return globalForDb.verbatimSql;
}

/**
 * The rate limits' own two connections (lib/rate-limits): a limit is checked before a request
 * opens its transaction, or while it holds one, so its one-statement check must never wait
 * behind the very transactions it guards for a connection of `sql()` (with every pooled
 * connection held by a member request awaiting its limit, that would be a deadlock).
 */
export function limitsSql(): Sql {
  globalForDb.verbatimLimitsSql ??= connect(requireDatabaseUrl(), 2, "verbatim-limits");
  return globalForDb.verbatimLimitsSql;
}

export function connect(url: string, max = 10, applicationName = "verbatim"): Sql {
  return postgres(url, {
    max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // Timestamps stay strings in rows we hand to JSON; callers parse where they compute.
    types: {},
    connection: { application_name: applicationName },
    ...(process.env.VERBATIM_COUNT_ROUND_TRIPS === "1" ? { debug: countRoundTrip } : {}),
  });
}

/**
 * One session that lasts as long as the process (a worker's liveness lock, lib/worker/liveness.ts):
 * one connection, never closed for being idle or old (a pool's connections are, and a session
 * lock would go with them). The server-side TCP keepalives make Postgres notice within about a
 * minute that the machine at the other end is gone (power, network), and end the session and
 * the locks it holds; with the kernel's defaults that takes over two hours. It must reach
 * Postgres itself or a session-mode pooler, like the worker's own connections. `onclose` hears
 * the connection end (the next statement opens another: a new session, without the old one's locks).
 */
export function sessionSql(url: string, applicationName: string, { onclose }: { onclose?: () => void } = {}): Sql {
  return postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 10,
    onnotice: () => {},
    types: {},
    connection: { application_name: applicationName, tcp_keepalives_idle: 20, tcp_keepalives_interval: 10, tcp_keepalives_count: 3 },
    ...(onclose ? { onclose } : {}),
  });
}

/**
 * For `npm run bench:api` only (VERBATIM_COUNT_ROUND_TRIPS=1): statements this process sent
 * and network round trips they took. postgres.js writes the statements issued on a connection
 * in one tick as one burst (it flushes on setImmediate) and pipelines them: one burst per
 * connection per tick is one round trip. (A statement's first run on a connection also waits
 * for its description; a warmed pool has every statement prepared already.)
 */
export interface DbCounts {
  statements: number;
  roundTrips: number;
}
const counts = ((globalThis as unknown as { verbatimDbCounts?: DbCounts }).verbatimDbCounts ??= { statements: 0, roundTrips: 0 });
const openBursts = new Set<number>();

function countRoundTrip(connection: number): void {
  counts.statements += 1;
  if (openBursts.has(connection)) return;
  openBursts.add(connection);
  counts.roundTrips += 1;
  setImmediate(() => openBursts.delete(connection));
}

/** The counts so far (zeros unless VERBATIM_COUNT_ROUND_TRIPS=1). */
export function dbCounts(): DbCounts {
  return { ...counts };
}

/** Close the shared pools (scripts and tests at exit). */
export async function closeDb(): Promise<void> {
  const pools = [globalForDb.verbatimSql, globalForDb.verbatimLimitsSql];
  globalForDb.verbatimSql = undefined;
  globalForDb.verbatimLimitsSql = undefined;
  await Promise.all(pools.map((pool) => pool?.end({ timeout: 5 })));
}
