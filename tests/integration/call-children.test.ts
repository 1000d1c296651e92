import { describe, expect, it } from "vitest";
import { asService } from "@/lib/db";
import { createOrg, createUser } from "@/tests/support/fixtures";
import { queuedCall } from "@/tests/support/signalwire";

describe("rows that belong to a call", () => {
  it("must name the call's own organization, on the service path too", async () => {
    const orgA = await createOrg("pro");
    const orgB = await createOrg("pro");
    const userId = await createUser();
    const callId = await queuedCall(orgA, userId);
    const mismatched = [
      () => asService((tx) => tx`insert into public.call_events (organization_id, call_id, kind, payload) values (${orgB}, ${callId}, 'test.event', '{}')`),
      () => asService((tx) => tx`insert into public.recordings (organization_id, call_id, provider_recording_sid, status) values (${orgB}, ${callId}, ${`RE-${callId}`}, 'pending')`),
      () => asService((tx) => tx`insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer, attempts,
                             source, provider, received_at, sha256)
                           values (${orgB}, ${callId}, 's', 1, 0, 'q', '3', 1, 'keypad', 'signalwire', now(), ${"0".repeat(64)})`),
    ];
    for (const attempt of mismatched) await expect(attempt()).rejects.toThrow(/violates foreign key constraint/);
    await asService((tx) => tx`insert into public.call_events (organization_id, call_id, kind, payload) values (${orgA}, ${callId}, 'test.event', '{}')`);
  });
});
