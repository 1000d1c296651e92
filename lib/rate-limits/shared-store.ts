import "server-only";
import { RateLimiterMemory, RateLimiterPostgres } from "rate-limiter-flexible";
import { limitsSql } from "@/lib/db/client";
import { logger } from "@/lib/logger";

/**
 * rate-limiter-flexible's Postgres store for the limits every app process shares
 * (`private.rate_limits`), with one change of transport: the points taken in one turn of the
 * event loop, by every request the process is handling, go to Postgres as ONE statement (the
 * way status reports do, docs/adr/0013), not one each. The library keeps everything else: the
 * window, the answer (`RateLimiterRes`), the in-memory block of keys already over their limit
 * (refused with no query at all until their window ends) and the in-memory insurance that
 * counts for this process alone while the store does not answer.
 *
 * The library's store contract: `_upsert(key, points, msDuration, forceExpire)` resolves to
 * `{ rows: [{ points, expire }] }` — the key's points in the window after this change and when
 * the window ends (epoch ms). A batch adds each key's points once (Postgres cannot update a row
 * twice in one statement) and hands every caller the count as it stood after its own points,
 * in arrival order, exactly as separate statements in that order would have.
 */

const TABLE = { schemaName: "private", tableName: "rate_limits" } as const;

interface StoreRows {
  rows: { points: number; expire: number | null }[];
  rowCount?: number;
}

interface Taken {
  key: string;
  points: number;
  expire: number | null;
  resolve: (rows: StoreRows) => void;
  reject: (error: unknown) => void;
}

const BATCH_SQL = `
  insert into private.rate_limits as r (key, points, expire)
  select t.key, t.points, t.expire from jsonb_to_recordset($1::jsonb) as t(key text, points integer, expire bigint)
  order by t.key
  on conflict (key) do update set
    points = case when r.expire <= $2 then excluded.points else r.points + excluded.points end,
    expire = case when r.expire <= $2 then excluded.expire else r.expire end
  returning key, points, expire`;

const FORCE_SQL = `
  insert into private.rate_limits (key, points, expire) values ($1, $2, $3)
  on conflict (key) do update set points = excluded.points, expire = excluded.expire
  returning points, expire`;

let queue: Taken[] = [];

function take(key: string, points: number, expire: number | null): Promise<StoreRows> {
  return new Promise((resolve, reject) => {
    queue.push({ key, points, expire, resolve, reject });
    if (queue.length === 1) setImmediate(flush);
  });
}

async function flush(): Promise<void> {
  const batch = queue;
  queue = [];
  const byKey = new Map<string, Taken[]>();
  for (const taken of batch) {
    const same = byKey.get(taken.key);
    if (same) same.push(taken);
    else byKey.set(taken.key, [taken]);
  }
  // Sorted keys: two processes' batches lock shared rows in the same order, so they cannot deadlock.
  const rows = [...byKey].map(([key, takers]) => ({ key, points: takers.reduce((sum, t) => sum + t.points, 0), expire: takers[0]!.expire }));
  try {
    const stored = await storeStatement<{ key: string; points: number; expire: string | null }>(BATCH_SQL, [rows, Date.now()]);
    const answers = new Map<Taken, StoreRows>();
    for (const row of stored) {
      // The last caller sees the total; each earlier one the total less what came after it.
      let after = 0;
      const takers = byKey.get(row.key)!;
      for (let i = takers.length - 1; i >= 0; i -= 1) {
        answers.set(takers[i]!, { rows: [{ points: row.points - after, expire: row.expire === null ? null : Number(row.expire) }], rowCount: 1 });
        after += takers[i]!.points;
      }
    }
    // Answered in the order they were asked, so the requests behind them go on in arrival order
    // (a webhook's status report then joins its own batch in the order the reports came).
    for (const t of batch) {
      const answer = answers.get(t);
      if (answer) t.resolve(answer);
      else t.reject(new Error("The rate limit store returned no row for a key."));
    }
  } catch (error) {
    for (const t of batch) t.reject(error);
  }
}

let lastWarning = 0;

/** One statement on the limits' own connections; a failure is logged (at most every 10 s) and thrown. */
async function storeStatement<T>(text: string, values: unknown[]): Promise<T[]> {
  try {
    return (await limitsSql().unsafe(text, values as never[], { prepare: true })) as unknown as T[];
  } catch (error) {
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      logger().warn({ err: error instanceof Error ? error.message : String(error) }, "the shared rate limit store did not answer; each process counts on its own until it does");
    }
    throw error;
  }
}

// What the library sends through `storeClient`: reads (`get`), deletes and its cleanup of
// expired rows, one statement each.
const storeClient = {
  query: async ({ text, values }: { text: string; values?: unknown[] }) => {
    const rows = await storeStatement<Record<string, unknown>>(text, values ?? []);
    return { rows, rowCount: (rows as unknown as { count: number }).count ?? rows.length };
  },
};

/** The library's Postgres limiter with its point-taking upserts batched per turn of the event loop. */
export class BatchedPostgresLimiter extends RateLimiterPostgres {
  /** The library's own (RateLimiterStoreAbstract), left out of its type declarations: ms left of a key's in-memory block, 0 if none. */
  declare getInMemoryBlockMsBeforeExpire: (rlKey: string) => number;

  // The store's one abstract write (RateLimiterStoreAbstract#_upsert); `block` and `set` force
  // the value and window instead of adding to them, and are rare enough to go alone.
  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<StoreRows> {
    const expire = msDuration > 0 ? Date.now() + msDuration : null;
    if (!forceExpire) return take(key, points, expire);
    return storeStatement<{ points: number; expire: string | null }>(FORCE_SQL, [key, points, expire]).then((rows) => ({
      rows: rows.map((r) => ({ points: r.points, expire: r.expire === null ? null : Number(r.expire) })),
      rowCount: rows.length,
    }));
  }
}

/**
 * A shared limiter: `points` per `durationSeconds` window, counted in Postgres for every
 * process; once a key has used its points, this process refuses it from memory until the window
 * ends (`inMemoryBlockOnConsumed`), so a flood over the limit costs no query.
 */
export function sharedLimiter(keyPrefix: string, points: number, durationSeconds: number): BatchedPostgresLimiter {
  return new BatchedPostgresLimiter({
    storeClient,
    storeType: "pool",
    ...TABLE,
    tableCreated: true,
    clearExpiredByTimeout: true,
    keyPrefix,
    points,
    duration: durationSeconds,
    inMemoryBlockOnConsumed: points,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
  });
}
