import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asService } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { addMembership, createOrg, member } from "@/tests/support/fixtures";
import { REALTIME_CHANNEL, subscribe } from "@/lib/realtime/sse-hub";

const ORG_A = "00000000-0000-4000-8000-0000000000aa";
const ORG_B = "00000000-0000-4000-8000-0000000000bb";

describe("realtime hub over a real LISTEN", () => {
  it("fans a NOTIFY out to the named organization's subscribers only", async () => {
    const a = subscribe(ORG_A);
    const b = subscribe(ORG_B);
    // Wait until the LISTEN is in place: notify until the subscriber hears something.
    let outcome: string = "timeout";
    for (let i = 0; i < 50 && outcome !== "notice"; i++) {
      await sql()`select pg_notify(${REALTIME_CHANNEL}, ${JSON.stringify({ org: ORG_A, topic: "calls", callId: "warmup" })})`;
      outcome = await a.wait(100);
    }
    expect(outcome).toBe("notice");
    a.drain();

    await sql()`select pg_notify(${REALTIME_CHANNEL}, ${JSON.stringify({ org: ORG_A, topic: "calls", callId: "c-1" })})`;
    await sql()`select pg_notify(${REALTIME_CHANNEL}, ${JSON.stringify({ org: ORG_B, topic: "calls", callId: "c-2" })})`;
    expect(await a.wait(2_000)).toBe("notice");
    await new Promise((r) => setTimeout(r, 100));
    expect(a.drain()).toEqual([{ topic: "calls", callId: "c-1" }]);
    expect(b.drain()).toEqual([{ topic: "calls", callId: "c-2" }]);
    a.close();
    b.close();
  });
});

describe("streams end when what authorized them ends", () => {
  async function listening(sub: ReturnType<typeof subscribe>, org: string) {
    // The hub's LISTEN is shared; make sure it is in place before revoking anything.
    let outcome: string = "timeout";
    for (let i = 0; i < 50 && outcome !== "notice"; i++) {
      await sql()`select pg_notify(${REALTIME_CHANNEL}, ${JSON.stringify({ org, topic: "calls", callId: "warmup" })})`;
      outcome = await sub.wait(100);
    }
    sub.drain();
  }

  /** Warm-up notices may still be queued: drain them until the stream closes or time runs out. */
  async function closes(sub: ReturnType<typeof subscribe>, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await sub.wait(deadline - Date.now())) === "closed") return true;
      sub.drain();
    }
    return false;
  }

  it("closes the streams of a signed-out session, and only those", async () => {
    const orgId = await createOrg("base");
    const { userId } = await member(orgId, "operator");
    const [signedOut, stillIn] = [randomUUID(), randomUUID()];
    await asService((tx) => tx`insert into auth.sessions (id, user_id, not_after)
                              values (${signedOut}, ${userId}, now() + interval '1 hour'), (${stillIn}, ${userId}, now() + interval '1 hour')`);
    const doomed = subscribe(orgId, { userId, sessionId: signedOut });
    const kept = subscribe(orgId, { userId, sessionId: stillIn });
    await listening(kept, orgId);

    const started = Date.now();
    await asService((tx) => tx`delete from auth.sessions where id = ${signedOut}`);
    expect(await closes(doomed, 5_000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(kept.isClosed).toBe(false);
    kept.close();
  });

  it("closes a removed member's streams in that organization only", async () => {
    const orgA = await createOrg("base");
    const orgB = await createOrg("base");
    const { userId } = await member(orgA, "analyst");
    await addMembership(orgB, userId, "viewer");
    const other = await member(orgA, "viewer");
    const inA = subscribe(orgA, { userId, sessionId: randomUUID() });
    const inB = subscribe(orgB, { userId, sessionId: randomUUID() });
    const colleague = subscribe(orgA, { userId: other.userId, sessionId: randomUUID() });
    await listening(inA, orgA);

    await asService((tx) => tx`delete from public.org_members where organization_id = ${orgA} and user_id = ${userId}`);
    expect(await closes(inA, 5_000)).toBe(true);
    expect(inB.isClosed).toBe(false);
    expect(colleague.isClosed).toBe(false);
    inB.close();
    colleague.close();
  });
});
