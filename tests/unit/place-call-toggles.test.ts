import { describe, expect, it } from "vitest";
import { toggleViews } from "@/components/calls/place-call-form";
import type { Capability, VoiceConfigResponse } from "@/lib/calls/contracts";
import { keypad, scriptDraft, scriptVersion, surveyDraft, surveyVersion } from "@/tests/support/surveys";

const roles = ["owner", "admin"];
const yes: Capability = { allowed: true, reason: null, requiredPlan: null, roles };
const role: Capability = { allowed: false, reason: "role", requiredPlan: null, roles };
const plan = (requiredPlan: string): Capability => ({ allowed: false, reason: "plan", requiredPlan, roles });

function response(capabilities: Partial<VoiceConfigResponse["capabilities"]>, config: Partial<VoiceConfigResponse["config"]> = {}): VoiceConfigResponse {
  return {
    carrier: "simulated",
    carrierNotice: null,
    transcriber: "simulated",
    config: {
      flow: "direct",
      callerId: "+15550000000",
      operatorPhone: null,
      record: true,
      transcribe: true,
      translate: false,
      translateLanguages: ["es"],
      redactPii: false,
      survey: surveyVersion(surveyDraft({ questions: [keypad("q", "Rate us")], thankYou: "Thanks" })),
      shopperScript: null,
      disclosureText: "This call is recorded.",
      version: 1,
      updatedAt: "2026-11-21T00:00:00Z",
      ...config,
    },
    capabilities: {
      "calls.place": yes,
      "voice_config.update": yes,
      "recording.enable": yes,
      "recording.play": yes,
      "transcript.original": yes,
      "translation.enable": yes,
      "translation.read": yes,
      "survey.enable": yes,
      "survey.manage": yes,
      "survey.read": yes,
      "shopper.run": yes,
      "numbers.view": yes,
      "evidence.export": yes,
      ...capabilities,
    },
  };
}

const all = { record: true, transcribe: true, translate: true, survey: true, shopperScript: true };

describe("place-call toggles", () => {
  it("names the plan that unlocks a feature and turns it off", () => {
    const v = toggleViews(response({ "recording.enable": plan("pro"), "translation.enable": plan("global") }), all, "direct");
    expect(v.record).toEqual({ checked: false, disabled: true, reason: "Needs the Pro plan", send: false });
    expect(v.transcribe.reason).toBe("Needs the Pro plan");
    expect(v.translate.reason).toBe("Needs the Global plan");
  });

  it("shows the organization's default, locked, when the role may not change it", () => {
    const v = toggleViews(response({ "recording.enable": role }), { ...all, record: false }, "direct");
    expect(v.record).toEqual({ checked: true, disabled: true, reason: "Your role cannot change this", send: undefined });
  });

  it("turns off a locked default the flow cannot carry", () => {
    const v = toggleViews(response({ "survey.enable": role }), all, "bridge");
    expect(v.survey).toMatchObject({ checked: false, disabled: true, reason: "Only on direct calls", send: false });
  });

  it("needs recording for transcription and direct calls for surveys and scripts", () => {
    const v = toggleViews(response({}, { shopperScript: scriptVersion(scriptDraft(["hi"])) }), { ...all, record: false }, "bridge");
    expect(v.record).toMatchObject({ checked: false, disabled: false, send: false });
    expect(v.transcribe).toMatchObject({ checked: false, disabled: true, reason: "Needs recording", send: false });
    expect(v.translate).toMatchObject({ disabled: true, reason: "Needs transcription" });
    expect(v.survey).toMatchObject({ checked: false, disabled: true, reason: "Only on direct calls", send: false });
    expect(v.shopperScript).toMatchObject({ disabled: true, reason: "Only on direct calls" });
  });

  it("lets the person choose what they may use", () => {
    const v = toggleViews(response({}), { ...all, translate: false }, "direct");
    expect(v.record).toEqual({ checked: true, disabled: false, reason: null, send: true });
    expect(v.translate).toEqual({ checked: false, disabled: false, reason: null, send: false });
    expect(v.survey.send).toBe(true);
    expect(v.shopperScript).toMatchObject({ disabled: true, reason: "No shopper script is configured" });
  });
});
