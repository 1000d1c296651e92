import { describe, expect, it, vi } from "vitest";
import { placeCall } from "@/lib/calls/place-call";
import { getCallDetail } from "@/lib/call-detail/detail";
import { viewFor } from "@/lib/calls/call-view";
import { withUser, asService } from "@/lib/db";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import type { Manifest } from "@/lib/evidence/manifest";
import { authorize } from "@/lib/rbac/authorize";
import { espeakSynthesizer, SpeechUnavailableError, type Synthesizer } from "@/scripts/simulator";
import { recordingOrg, setupPipeline, waitFor, type RecordingOrg } from "@/tests/support/pipeline";
import { publishScript } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Issue 16: a call whose audio cannot be made fails out loud. The carrier stand-in's speech
 * synthesis throws for one marked sentence; the stand-in then reports the recording `absent`
 * (as SignalWire does when it captured nothing), and the call says so: the recording's status and
 * reason in the detail the page renders, a timeline line, and the sealed manifest's `missing[]`.
 * Before, the stand-in swallowed the error and sent nothing, and the call showed no reason at all.
 */
const UNSPEAKABLE = "Unspeakable";
const synthesize: Synthesizer = (text, voice, rate) =>
  text.includes(UNSPEAKABLE)
    ? Promise.reject(new SpeechUnavailableError("eSpeak NG: the test's synthesizer refuses this line"))
    : espeakSynthesizer(text, voice, rate);

const pipeline = setupPipeline({ tmpPrefix: "verbatim-absent-", apiKey: "test-assemblyai-key-absent-01234", carrier: { synthesize } });

let n = 0;
async function place(o: RecordingOrg, to: string, request: Record<string, unknown> = {}): Promise<string> {
  n += 1;
  const session = o.sessions.owner;
  const { call } = await placeCall(session, await authorize(session, "calls.place", o.id), { to, ...request }, `absent-${Date.now()}-${n}`, pipeline.log);
  return call.id;
}

const detail = (o: RecordingOrg, callId: string) =>
  withUser(o.sessions.operator.claims, (tx) => getCallDetail(tx, { orgId: o.id, callId, view: viewFor(o.memberships.operator) }));

async function sealedMissing(o: RecordingOrg, callId: string) {
  return waitFor("a sealed manifest naming the recording missing", async () => {
    const rows = await asService((tx) => manifestsOfCall(tx, { orgId: o.id, callId }));
    const last = rows.at(-1)?.manifest as Manifest | undefined;
    return last?.missing.find((m) => m.kind === "recording");
  });
}

const REASON = "The carrier reported that no recording was made.";

describe("a recording whose audio cannot be made", () => {
  it("a plain recorded call (<Record>): absent with the carrier's reason, on the timeline and in missing[]", async () => {
    const o = await recordingOrg("pro");
    const to = "+14155550123";
    pipeline.carrier.setScenario(to, { kind: "answered", reply: `${UNSPEAKABLE} words, ${Date.now()}.` });
    const callId = await place(o, to);

    const shown = await waitFor("the absent recording", async () => {
      const d = await detail(o, callId);
      return d?.recording?.status === "absent" ? d : null;
    });
    expect(shown.recording).toMatchObject({ status: "absent", error: REASON, sha256: null });
    expect(shown.events.map((e) => e.summary)).toContain(`Recording absent: ${REASON}`);
    expect(await sealedMissing(o, callId)).toMatchObject({ kind: "recording", reason: "absent", detail: expect.stringContaining(REASON) });
    // The carrier stand-in keeps why, for whoever runs it.
    const simulated = pipeline.carrier.calls().find((c) => c.to === to)!;
    expect(simulated.recordings).toEqual([expect.objectContaining({ status: "absent", bytes: 0, error: expect.stringContaining("refuses this line") })]);
    expect(simulated.warnings.join("\n")).toContain("no audio could be made");
  }, 60_000);

  it("a shopper call recorded whole: the same, and nothing is transcribed or scored", async () => {
    const o = await recordingOrg("insights");
    const script = await publishScript(o.id, o.ownerId, {
      title: "Absent audio check",
      persona: { name: "Alex", description: "A new patient" },
      steps: [{ say: `${UNSPEAKABLE} line, ${Date.now()}.` }],
      rubric: { criteria: [{ id: "greets", label: "Greets", weight: 1, kind: "phrase_present", phrases: ["hello"] }] },
    });
    const callId = await place(o, "+15005550009", { shopperScriptVersion: { id: script.id, version: script.version } });
    const shown = await waitFor("the absent recording", async () => {
      const d = await detail(o, callId);
      return d?.recording?.status === "absent" ? d : null;
    });
    expect(shown.recording!.error).toBe(REASON);
    expect(await sealedMissing(o, callId)).toMatchObject({ reason: "absent", detail: expect.stringContaining(REASON) });
    const again = await detail(o, callId);
    expect(again!.transcript).toBeNull();
    expect(again!.scorecards ?? []).toEqual([]);
  }, 60_000);
});
