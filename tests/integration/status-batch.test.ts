import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDatabaseUrl } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { createOrg, member } from "@/tests/support/fixtures";
import { configureSignalWire, ctx, queuedCall, sidOf, signedRequest, statusParams, statusPath } from "@/tests/support/signalwire";

/**
 * Status callbacks that arrive together are applied by one statement
 * (`private.apply_status_reports`), each exactly as it would be alone; a report that fails in
 * the database fails alone. Statements are counted on the app's pool, swapped for one with
 * postgres.js's `debug` hook (as tests/integration/member-round-trips.test.ts does).
 */
configureSignalWire();
const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");

const statements: string[] = [];
const counted = postgres(requireDatabaseUrl(), { max: 4, onnotice: () => {}, types: {}, debug: (_c, query) => statements.push(query) });
const pool = globalThis as unknown as { verbatimSql?: postgres.Sql };
let saved: postgres.Sql | undefined;

let orgId: string;
let userId: string;
beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await member(orgId, "operator")).userId;
  saved = pool.verbatimSql;
  pool.verbatimSql = counted;
});
afterAll(async () => {
  pool.verbatimSql = saved;
  await counted.end({ timeout: 5 });
});

const send = (callId: string, sid: string, callStatus: string, seq: number) =>
  status.POST(signedRequest(statusPath(callId), statusParams(sid, callStatus, seq)), ctx({ callId }));

async function stateOf(callId: string): Promise<{ status: string; events: string[] }> {
  const [call] = await sql()<{ status: string }[]>`select status::text as status from public.calls where id = ${callId}`;
  const events = await sql()<{ dedupe_key: string }[]>`select dedupe_key from public.call_events where call_id = ${callId} and kind = 'provider.status' order by id`;
  return { status: call!.status, events: events.map((e) => e.dedupe_key) };
}

describe("status callbacks that arrive together", () => {
  it("share one statement, and end exactly as delivered one by one", async () => {
    const calls = await Promise.all(Array.from({ length: 6 }, () => queuedCall(orgId, userId)));
    const sids = calls.map((_, i) => sidOf(`CA-batch-${i}-${Date.now()}`));
    statements.length = 0;
    // Every call's reports at once, out of order and each twice.
    const answers = await Promise.all(calls.flatMap((callId, i) => [
      send(callId, sids[i]!, "completed", 3), send(callId, sids[i]!, "ringing", 1),
      send(callId, sids[i]!, "in-progress", 2), send(callId, sids[i]!, "ringing", 1),
    ]));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 204));
    const batches = statements.filter((s) => s.includes("private.apply_status_reports"));
    const singles = statements.filter((s) => s.includes("private.apply_status_report(") && !s.includes("apply_status_reports"));
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.length + singles.length).toBeLessThan(answers.length);

    // The same reports, one at a time, to calls of their own: the reference.
    for (const [i, callId] of calls.entries()) {
      const alone = await queuedCall(orgId, userId);
      for (const [callStatus, seq] of [["completed", 3], ["ringing", 1], ["in-progress", 2], ["ringing", 1]] as const) {
        expect((await send(alone, sids[i]!.replace(/^CA/, "CB"), callStatus, seq)).status).toBe(204);
      }
      const together = await stateOf(callId);
      const reference = await stateOf(alone);
      expect(together.status).toBe(reference.status);
      expect(together.status).toBe("completed");
      expect(together.events.map((k) => k.replace(sids[i]!, "SID"))).toEqual(reference.events.map((k) => k.replace(sids[i]!.replace(/^CA/, "CB"), "SID")));
    }
  });

  it("a report the database refuses fails alone: the others in its batch are stored", async () => {
    const [good, bad] = [await queuedCall(orgId, userId), await queuedCall(orgId, userId)];
    const badSid = sidOf(`CA-refused-${Date.now()}`);
    // Make the database refuse exactly this report, as a broken constraint would. (This file's
    // database is its own clone of the template.)
    await sql().unsafe(`
      create function public.test_refuse_one() returns trigger language plpgsql as $$
      begin if new.payload ->> 'CallSid' = '${badSid}' then raise exception 'refused for the test'; end if; return new; end $$`);
    await sql().unsafe(`create trigger refuse_one before insert on public.call_events for each row execute function public.test_refuse_one()`);
    try {
      statements.length = 0;
      const [ok, refused] = await Promise.all([send(good, sidOf(`CA-good-${Date.now()}`), "ringing", 1), send(bad, badSid, "ringing", 1)]);
      expect(statements.some((s) => s.includes("private.apply_status_reports"))).toBe(true);
      expect(ok.status).toBe(204);
      expect(refused.status).toBe(500);
      expect((await stateOf(good)).status).toBe("ringing");
      expect(await stateOf(bad)).toMatchObject({ status: "queued", events: [] });
    } finally {
      await sql().unsafe(`drop trigger if exists refuse_one on public.call_events`);
    }
  });
});
