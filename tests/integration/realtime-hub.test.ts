import { describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
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
