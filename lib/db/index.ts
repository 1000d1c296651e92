import { sql, type Tx, type Sql } from "@/lib/db/client";
import type { Claims } from "@/lib/auth/claims";

export type { Tx, Sql, Db } from "@/lib/db/client";

/**
 * Run `fn` in a transaction as the `authenticated` role with the caller's claims in
 * `request.jwt.claims`: the same mechanism PostgREST uses, so `auth.uid()` and every RLS policy
 * see exactly what they would see on hosted Supabase. RLS is the boundary; queries still filter
 * by organization as well.
 */
export async function withUser<T>(claims: Claims, fn: (tx: Tx) => Promise<T>, db: Sql = sql()): Promise<T> {
  return (await db.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('request.jwt.claim.sub', ${claims.sub}, true),
                    set_config('role', 'authenticated', true)`;
    return fn(tx);
  })) as T;
}

/**
 * Run `fn` in a transaction as `service_role`, which bypasses RLS. The one privileged path:
 * webhooks, jobs, sign-in and seeding. Every query inside must name the organization itself.
 */
export async function asService<T>(fn: (tx: Tx) => Promise<T>, db: Sql = sql()): Promise<T> {
  return (await db.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true)`;
    return fn(tx);
  })) as T;
}
