import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import { addMembership } from "@/tests/support/fixtures";
import { call as callRoute, signedInUser } from "@/tests/support/member-requests";
import { recordingOrg, setupPipeline, waitFor } from "@/tests/support/pipeline";

/**
 * Correlation (docs/adr/0043): the request id of `POST /api/calls` follows the call through
 * everything that happens to it afterwards. The call is placed through the route, the carrier
 * stand-in calls back (status and recording webhooks, each a request of its own), the worker
 * ingests the recording, submits it to the AssemblyAI stand-in, whose webhook queues the fetch,
 * and the call is sealed. The app's pino logger writes to this file's sink, and every line of
 * every job about the call must carry the placing request's id: the sealing job's above all.
 */
type Line = Record<string, unknown>;
const lines = vi.hoisted(() => [] as Line[]);

vi.mock("@/lib/logger", async () => {
  const { default: pino } = await import("pino");
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString("utf8").split("\n")) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const root = pino({ level: "debug", base: { service: "verbatim" } }, sink);
  return { logger: () => root };
});
vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

setupPipeline({ tmpPrefix: "verbatim-request-id-", apiKey: "test-assemblyai-key-request-id-0123" });

const target = () => `+1415556${String(1000 + Math.floor(Math.random() * 8999)).slice(-4)}`;

describe("the request id that placed a call", () => {
  it("is on every log line of every job about the call, through to sealing, whoever enqueued the job", async () => {
    const org = await recordingOrg("pro");
    const operator = await signedInUser();
    await addMembership(org.id, operator.userId, "operator");
    const requestId = `place-${randomUUID()}`;
    const { POST } = await import("@/app/api/calls/route");
    const placed = await callRoute(operator.browser, POST, {
      method: "POST", path: "/api/calls", body: { to: target() }, orgId: org.id,
      headers: { "x-request-id": requestId, "idempotency-key": randomUUID() },
    });
    expect(placed.status).toBe(201);
    const callId = (placed.body.call as { id: string }).id;

    const [row] = await sql()<{ requestId: string | null }[]>`select request_id as "requestId" from public.calls where id = ${callId}`;
    expect(row!.requestId).toBe(requestId);
    expect(lines.find((l) => l.msg === "call dialled" && l.callId === callId)?.requestId).toBe(requestId);

    // Sealed after the transcript arrived: the last artifact the pipeline adds.
    await waitFor("the transcript", async () => (await sql()`select 1 from public.call_artifacts where call_id = ${callId} and kind = 'transcript'`).length > 0, 40_000);
    await waitFor("a seal after the transcript", () => Promise.resolve(
      lines.some((l) => l.task === "seal_call" && l.callId === callId && l.msg === "seal_call: sealed a manifest version"
        && lines.indexOf(l) > lines.findIndex((t) => t.msg === "transcript stored" && t.callId === callId)),
    ), 40_000);

    const jobs = (task: string) => lines.filter((l) => l.task === task && l.callId === callId);
    const sealing = jobs("seal_call");
    expect(sealing.length).toBeGreaterThan(0);
    for (const line of sealing) expect(line, JSON.stringify(line)).toMatchObject({ requestId });
    // Queued by the recording webhook, by the ingest job, and by AssemblyAI's webhook: each a
    // request or job of its own, and still the call's id.
    for (const task of ["ingest_recording", "submit_transcription", "fetch_transcript"]) {
      expect(jobs(task).length, task).toBeGreaterThan(0);
      for (const line of jobs(task)) expect(line, JSON.stringify(line)).toMatchObject({ requestId });
    }
    // The webhooks themselves answered under ids of their own.
    const callbacks = lines.filter((l) => l.msg === "status callback" && l.callId === callId);
    expect(callbacks.length).toBeGreaterThan(0);
    for (const line of callbacks) expect(line.requestId).not.toBe(requestId);
  }, 90_000);
});
