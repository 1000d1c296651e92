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

const globalForDb = globalThis as unknown as { verbatimSql?: Sql };

export function sql(): Sql {
  globalForDb.verbatimSql ??= connect(requireDatabaseUrl(), config().databasePoolMax);
  return globalForDb.verbatimSql;
}

export function connect(url: string, max = 10): Sql {
  return postgres(url, {
    max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // Timestamps stay strings in rows we hand to JSON; callers parse where they compute.
    types: {},
    connection: { application_name: "verbatim" },
  });
}

/** Close the shared pool (scripts and tests at exit). */
export async function closeDb(): Promise<void> {
  const current = globalForDb.verbatimSql;
  globalForDb.verbatimSql = undefined;
  await current?.end({ timeout: 5 });
}
