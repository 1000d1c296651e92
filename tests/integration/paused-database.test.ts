import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDatabaseUrl } from "@/lib/config";
import { connect, type Sql } from "@/lib/db/client";
import { requestContext, withRequest } from "@/lib/db";
import { UnavailableError } from "@/lib/errors";
import { claimsFor, member, createOrg } from "@/tests/support/fixtures";

/**
 * A database that stops answering: the server process behind a connection is paused (SIGSTOP,
 * as an overloaded or frozen host would be). A member request answers 503 within its deadline
 * instead of waiting forever, and what it did is rolled back when the server wakes, never
 * committed behind the 503.
 */
let db: Sql;
let backend: number;
let claims: ReturnType<typeof claimsFor>;

beforeAll(async () => {
  const orgId = await createOrg("base");
  claims = (await member(orgId, "owner")).claims;
  // One connection, so the paused backend is the one every request here uses.
  db = connect(requireDatabaseUrl(), 1);
  const [row] = await db<{ pid: number }[]>`select pg_backend_pid() as pid`;
  backend = row!.pid;
});

afterAll(async () => {
  try {
    process.kill(backend, "SIGCONT");
  } catch {
    // already running or gone
  }
  await db.end({ timeout: 5 });
});

describe("a paused database", () => {
  it("a member request answers 503 within its deadline, and its work is rolled back when the server wakes", async () => {
    process.kill(backend, "SIGSTOP");
    const started = Date.now();
    let resumed = false;
    const request = withRequest(claims, { liveCheck: null, orgId: null }, async (tx) => {
      // A change that only a COMMIT keeps: a session setting made inside the transaction.
      await tx`select set_config('verbatim.paused_test', 'committed', false)`;
      resumed = true;
      return "done";
    }, db, { timeoutMs: 400 });
    const error = await request.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).status).toBe(503);
    expect((error as Error).message).toMatch(/did not answer within/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(resumed).toBe(false);

    process.kill(backend, "SIGCONT");
    // The same connection, once free: the transaction ran on, then rolled back.
    await expect.poll(() => resumed, { timeout: 10_000 }).toBe(true);
    const [row] = await db<{ value: string | null }[]>`select current_setting('verbatim.paused_test', true) as value`;
    expect(row!.value ?? "").toBe("");
  });

  it("the one-statement request check answers 503 too, and the pool recovers after", async () => {
    process.kill(backend, "SIGSTOP");
    const error = await requestContext(claims, { liveCheck: null, orgId: null }, db, { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    process.kill(backend, "SIGCONT");
    const context = await requestContext<{ orgId: string }>(claims, { liveCheck: null, orgId: null }, db, { timeoutMs: 5_000 });
    expect(context.memberships).toHaveLength(1);
  });

  it("an answering database is not cut short", async () => {
    const result = await withRequest(claims, { liveCheck: null, orgId: null }, async (tx) => {
      await tx`select pg_sleep(0.2)`;
      return "kept";
    }, db, { timeoutMs: 2_000 });
    expect(result).toBe("kept");
  });
});
