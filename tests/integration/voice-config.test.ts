import { beforeAll, describe, expect, it } from "vitest";
import { sessionFromClaims, type Session } from "@/lib/db/claims";
import { sql } from "@/lib/db/client";
import { ForbiddenError, NotFoundError, PlanRequiredError, UnprocessableError } from "@/lib/errors";
import type { VoiceConfigUpdate } from "@/lib/calls/contracts";
import { getVoiceConfig as readConfig, updateVoiceConfig as applyUpdate } from "@/lib/calls/voice-config";
import { withMember } from "@/lib/rbac/authorize";
import { createOrg, member } from "@/tests/support/fixtures";
import { configureSignalWire } from "@/tests/support/signalwire";
import { keypad, publishSurvey, surveyDraft } from "@/tests/support/surveys";
import type { Survey } from "@/lib/surveys/documents";

configureSignalWire({ CARRIER_SIMULATOR_URL: "http://127.0.0.1:3999" });

let base: string;
let global: string;
const as: Record<string, Session> = {};

/** What GET and PUT /api/voice-config do: the wrapper authorizes the action in one transaction, then the domain call. */
const getVoiceConfig = (session: Session, orgId: string) =>
  withMember(session, "operations.view", orgId, (tx, membership) => readConfig(tx, { membership }));
const updateVoiceConfig = (session: Session, orgId: string, update: VoiceConfigUpdate) =>
  withMember(session, "voice_config.update", orgId, (tx, membership) => applyUpdate(tx, { membership, update }));

beforeAll(async () => {
  base = await createOrg("base");
  global = await createOrg("global");
  await sql()`insert into public.voice_configs (organization_id) values (${base}), (${global})`;
  as.baseOwner = sessionFromClaims((await member(base, "owner")).claims);
  as.globalAdmin = sessionFromClaims((await member(global, "admin")).claims);
  as.globalOperator = sessionFromClaims((await member(global, "operator")).claims);
  as.globalViewer = sessionFromClaims((await member(global, "viewer")).claims);
});

let survey: Survey;
beforeAll(async () => {
  survey = await publishSurvey(global, (await member(global, "owner")).userId, surveyDraft({ thankYou: "Thanks.", questions: [keypad("q1", "Rate us 1 to 5.")] }));
});

describe("voice config", () => {
  it("every member reads it, with capabilities saying what their role and plan allow and why not", async () => {
    const viewer = await getVoiceConfig(as.globalViewer!, global);
    expect(viewer.carrier).toBe("simulated");
    expect(viewer.capabilities["calls.place"]).toEqual({ allowed: false, reason: "role", requiredPlan: null, roles: ["owner", "admin", "operator"] });
    const owner = await getVoiceConfig(as.baseOwner!, base);
    expect(owner.capabilities["recording.enable"]).toEqual({ allowed: false, reason: "plan", requiredPlan: "pro", roles: ["owner", "admin"] });
    expect(owner.capabilities["translation.enable"]).toEqual({ allowed: false, reason: "plan", requiredPlan: "global", roles: ["owner", "admin"] });
    expect(owner.capabilities["calls.place"].allowed).toBe(true);
  });

  it("another organization's config is 404", async () => {
    await expect(getVoiceConfig(as.baseOwner!, global)).rejects.toThrow(NotFoundError);
  });

  it("a base-plan owner cannot enable recording: 403 with the plan that unlocks it", async () => {
    const err = await updateVoiceConfig(as.baseOwner!, base, { record: true }).catch((e) => e);
    expect(err).toBeInstanceOf(PlanRequiredError);
    expect(err.message).toMatch(/Upgrade to pro/);
    expect((await getVoiceConfig(as.baseOwner!, base)).config.record).toBe(false);
  });

  it("operators cannot change it", async () => {
    await expect(updateVoiceConfig(as.globalOperator!, global, { callerId: "+14155550111" })).rejects.toThrow(ForbiddenError);
  });

  it("an admin on the global plan enables modulations; the version moves on", async () => {
    const before = (await getVoiceConfig(as.globalAdmin!, global)).config.version;
    const after = await updateVoiceConfig(as.globalAdmin!, global, {
      record: true, transcribe: true, translate: true, translateLanguages: ["es"], survey: { id: survey.id, version: survey.version }, disclosureText: "Recorded.",
    });
    expect(after.config).toMatchObject({ record: true, transcribe: true, translate: true, translateLanguages: ["es"], survey, version: before + 1 });
  });

  it("a change based on a version that has moved on is 409 stale_version and changes nothing", async () => {
    const before = (await getVoiceConfig(as.globalAdmin!, global)).config;
    const saved = await updateVoiceConfig(as.globalAdmin!, global, { disclosureText: "This call is recorded (first).", basedOn: before.version });
    expect(saved.config.version).toBe(before.version + 1);
    const stale = await updateVoiceConfig(as.globalAdmin!, global, { disclosureText: "This call is recorded (second).", basedOn: before.version }).catch((e) => e);
    expect(stale).toMatchObject({ status: 409, code: "stale_version", details: { currentVersion: before.version + 1 } });
    expect(stale.message).toMatch(/Reload/);
    const after = (await getVoiceConfig(as.globalAdmin!, global)).config;
    expect(after.disclosureText).toBe("This call is recorded (first).");
    expect(after.version).toBe(before.version + 1);
  });

  it("incoherent combinations are 422", async () => {
    await expect(updateVoiceConfig(as.globalAdmin!, global, { record: false, transcribe: true, translate: false })).rejects.toThrow(UnprocessableError);
    await expect(updateVoiceConfig(as.globalAdmin!, global, { translate: true, translateLanguages: [] })).rejects.toThrow(/language/);
  });
});
