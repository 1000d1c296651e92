import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import { createOrg, member } from "@/tests/support/fixtures";
import { configureSignalWire, ctx, queuedCall, sidOf, signedRequest } from "@/tests/support/signalwire";

/**
 * Callbacks repeat and arrive out of order. Property: delivering every callback of a call up to
 * three times, in any order, leaves the call, its timeline, its recordings and its jobs exactly
 * as one in-order delivery does.
 */
configureSignalWire({ CARRIER_SIMULATOR_URL: "http://127.0.0.1:3999" });
const status = await import("@/app/api/webhooks/signalwire/[callId]/status/route");
const recording = await import("@/app/api/webhooks/signalwire/[callId]/recording/route");

let orgId: string;
let userId: string;
beforeAll(async () => {
  orgId = await createOrg("global");
  userId = (await member(orgId, "operator")).userId;
});

interface Callback {
  kind: "status" | "recording";
  params: Record<string, string>;
}

type Outcome = "completed" | "busy" | "no-answer" | "failed" | "canceled";

/** 32 hex digits naming a test call: its CallSid is CA + these, its RecordingSid RE + these. */
const hexOf = (label: string) => sidOf(label).slice(2);

/** The callbacks SignalWire sends for one call (`hex` names it), in the order it sends them. */
function callbacksFor(hex: string, outcome: Outcome, withAnsweredEvent: boolean, withRecording: boolean): Callback[] {
  const at = (seq: number) => new Date(Date.UTC(2026, 10, 21, 9, 0, seq * 7)).toUTCString();
  const statusCb = (s: string, seq: number, extra: Record<string, string> = {}): Callback => ({
    kind: "status",
    params: { CallSid: `CA${hex}`, CallStatus: s, SequenceNumber: String(seq), Timestamp: at(seq), Direction: "outbound-api", ...extra },
  });
  const list: Callback[] = [statusCb("initiated", 0)];
  if (outcome === "failed") return [...list, statusCb("failed", 1)];
  list.push(statusCb("ringing", 1));
  if (outcome !== "completed") return [...list, statusCb(outcome, 2, { CallDuration: "0" })];
  if (withAnsweredEvent) list.push(statusCb("answered", 2));
  list.push(statusCb("in-progress", 3));
  if (withRecording) {
    list.push({
      kind: "recording",
      params: {
        CallSid: `CA${hex}`, RecordingSid: `RE${hex}`, RecordingStatus: "completed", RecordingDuration: "12", RecordingChannels: "1",
        RecordingStartTime: at(3),
        RecordingUrl: `http://127.0.0.1:3999/api/laml/2010-04-01/Accounts/x/Recordings/RE${hex}`,
      },
    });
  }
  return [...list, statusCb("completed", 4, { CallDuration: "31" })];
}

async function deliver(callId: string, cb: Callback): Promise<number> {
  const path = `/api/webhooks/signalwire/${callId}/${cb.kind}`;
  const handler = cb.kind === "status" ? status.POST : recording.POST;
  return (await handler(signedRequest(path, cb.params), ctx({ callId }))).status;
}

/** Everything the callbacks can change, without ids and our own clock. */
async function observable(callId: string) {
  const [call] = await sql()`
    select status::text, provider_call_sid, answered_at, ended_at, duration_seconds from public.calls where id = ${callId}`;
  const events = await sql()`
    select kind, dedupe_key, payload, occurred_at from public.call_events where call_id = ${callId} order by dedupe_key`;
  const recordings = await sql()`
    select provider_recording_sid, status, duration_seconds, channels from public.recordings where call_id = ${callId}
    order by provider_recording_sid`;
  // graphile-worker's public view has no payload; the revision shows whether a job was re-enqueued.
  // The request id is each call's own (the one that placed it), so it is left out with the ids.
  const jobs = await sql()`
    select t.identifier as task, j.key, j.revision, j.payload::jsonb - 'recordingId' - 'callId' - 'requestId' as payload
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where j.key in (select 'ingest:' || provider_recording_sid from public.recordings where call_id = ${callId}) order by j.key`;
  return { call, events, recordings, jobs };
}

const scenario = fc.record({
  outcome: fc.constantFrom<Outcome>("completed", "completed", "busy", "no-answer", "failed", "canceled"),
  answeredEvent: fc.boolean(),
  recording: fc.boolean(),
});

describe("callbacks delivered up to three times in any order", () => {
  it("end in the same state and rows as one in-order delivery", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        scenario.chain((s) => {
          const reference = callbacksFor("SID", s.outcome, s.answeredEvent, s.recording);
          return fc.record({
            s: fc.constant(s),
            copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: reference.length, maxLength: reference.length }),
            order: fc.infiniteStream(fc.nat()),
          });
        }),
        async ({ s, copies, order }) => {
          run += 1;
          const sidA = hexOf(`ref-${run}`);
          const sidB = hexOf(`mix-${run}`);
          const reference = callbacksFor(sidA, s.outcome, s.answeredEvent, s.recording);
          const refCall = await queuedCall(orgId, userId);
          for (const cb of reference) expect(await deliver(refCall, cb)).toBe(204);

          const mixed = callbacksFor(sidB, s.outcome, s.answeredEvent, s.recording).flatMap((cb, i) => Array(copies[i]).fill(cb) as Callback[]);
          // Fisher–Yates with fast-check's stream of naturals, so failures shrink and replay.
          const keys = order.take(mixed.length);
          let k = 0;
          for (const n of keys) {
            const i = mixed.length - 1 - k;
            if (i <= 0) break;
            const j = n % (i + 1);
            [mixed[i], mixed[j]] = [mixed[j]!, mixed[i]!];
            k += 1;
          }
          const mixCall = await queuedCall(orgId, userId);
          for (const cb of mixed) expect(await deliver(mixCall, cb)).toBe(204);

          const normalize = (o: Awaited<ReturnType<typeof observable>>, sid: string) =>
            JSON.parse(JSON.stringify(o).replaceAll(sid, "SID"));
          expect(normalize(await observable(mixCall), sidB)).toEqual(normalize(await observable(refCall), sidA));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("also when the repeats arrive concurrently", async () => {
    const callbacks = callbacksFor(hexOf("concurrent"), "completed", true, true);
    const callId = await queuedCall(orgId, userId);
    const burst = [...callbacks, ...callbacks, ...callbacks].reverse();
    const statuses = await Promise.all(burst.map((cb) => deliver(callId, cb)));
    expect(statuses.every((s) => s === 204)).toBe(true);
    const reference = await queuedCall(orgId, userId);
    for (const cb of callbacksFor(hexOf("concurrent-ref"), "completed", true, true)) await deliver(reference, cb);
    const a = JSON.parse(JSON.stringify(await observable(callId)).replaceAll(hexOf("concurrent"), "SID"));
    const b = JSON.parse(JSON.stringify(await observable(reference)).replaceAll(hexOf("concurrent-ref"), "SID"));
    expect(a).toEqual(b);
    expect(a.call.status).toBe("completed");
    expect(a.recordings).toHaveLength(1);
    expect(a.jobs).toHaveLength(1);
  });
});
