import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sessionFromClaims } from "@/lib/db/claims";
import { placeCall } from "@/lib/calls/place-call";
import { answerDocument, type AnswerRecord } from "@/lib/calls/survey-answers";
import { modulationSnapshotSchema } from "@/lib/calls/snapshot";
import { asService } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { authorize } from "@/lib/rbac/authorize";
import type { ShopperScriptDraft, SurveyDraft } from "@/lib/surveys/documents";
import { canonicalSha256, versionHash } from "@/lib/surveys/hash";
import type { CarrierSimulator } from "@/scripts/simulator";
import { addMembership, claimsFor, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser, type Browser } from "@/tests/support/member-requests";
import { configureSignalWire, ctx, planFor, queuedCall, sidOf, signedRequest, startTestCarrier } from "@/tests/support/signalwire";
import { RUBRIC_CRITERIA } from "@/tests/support/surveys";
import { openSnapshotNumbers } from "@/lib/calls/numbers";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Surveys and shopper scripts through their routes (memberRoute: session, organization, role,
 * plan), the versions they publish, the org default and the call that pins a version, and the
 * speech answers a call's Gather stores. Real routes, real Postgres with RLS, real carrier SDK
 * against the simulator.
 */
const surveys = await import("@/app/api/surveys/route");
const surveyPreview = await import("@/app/api/surveys/preview/route");
const surveyLatest = await import("@/app/api/surveys/[id]/route");
const surveyVersions = await import("@/app/api/surveys/[id]/versions/route");
const surveyVersion = await import("@/app/api/surveys/[id]/versions/[version]/route");
const scripts = await import("@/app/api/shopper-scripts/route");
const scriptPreview = await import("@/app/api/shopper-scripts/preview/route");
const scriptVersions = await import("@/app/api/shopper-scripts/[id]/versions/route");
const voiceConfig = await import("@/app/api/voice-config/route");
const gatherRoute = await import("@/app/api/laml/[callId]/gather/route");

const log = pino({ level: "silent" });
let sim: CarrierSimulator;
let acme: string; // insights: surveys available
let borealis: string; // pro: below insights
const people: Record<string, { userId: string; browser: Browser }> = {};

const DRAFT: SurveyDraft = {
  title: "After your visit",
  questions: [
    { id: "rating", prompt: "How was your visit? Press 1 to 5.", keypad: { min: 1, max: 5 }, speech: false },
    { id: "comment", prompt: "Tell us in a few words what we could do better.", keypad: null, speech: true },
  ],
  thankYou: "Thank you. Goodbye.",
};
const SCRIPT: ShopperScriptDraft = {
  title: "New patient enquiry",
  persona: { name: "Alex", description: "Wants a first appointment", voice: "man" },
  steps: [{ say: "Hello, I would like to book a first appointment." }, { pause: 2 }, { say: "Is Tuesday possible?" }],
  rubric: { criteria: RUBRIC_CRITERIA },
};

beforeAll(async () => {
  sim = await startTestCarrier();
  configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
  acme = await createOrg("insights");
  borealis = await createOrg("pro");
  await sql()`insert into public.voice_configs (organization_id) values (${acme}), (${borealis})`;
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role]!.userId, role);
  }
  people.borealisOwner = await signedInUser();
  await addMembership(borealis, people.borealisOwner.userId, "owner");
});

afterAll(async () => {
  await sim?.stop();
});

const as = (who: string) => people[who]!.browser;

async function createSurvey(draft: SurveyDraft = DRAFT, who = "owner", orgId = acme) {
  return call(as(who), surveys.POST, { method: "POST", path: "/api/surveys", body: draft, orgId });
}

describe("writing surveys and shopper scripts", () => {
  it("an owner creates a survey: version 1 with the canonical SHA-256 of its document, and what LaML will say", async () => {
    const res = await createSurvey();
    expect(res.status).toBe(201);
    const survey = res.body.survey as { id: string; version: number; sha256: string; questions: unknown[] };
    expect(survey).toMatchObject({ version: 1, title: "After your visit", questions: DRAFT.questions, thankYou: DRAFT.thankYou });
    expect(survey.sha256).toBe(versionHash(survey));
    const [row] = await sql()`select sha256, document from public.survey_versions where survey_id = ${survey.id}`;
    expect(row!.sha256).toBe(survey.sha256);
    expect(canonicalSha256(row!.document)).toBe(survey.sha256);
    expect(res.body.spoken).toEqual([
      { kind: "ask", text: DRAFT.questions[0]!.prompt, input: ["dtmf"], digits: "1" },
      { kind: "ask", text: DRAFT.questions[1]!.prompt, input: ["speech"], digits: null },
      { kind: "say", text: "Thank you. Goodbye.", voice: null },
    ]);
  });

  it("editing publishes the next version; the old one stays readable and unchanged; a stale edit is 409", async () => {
    const first = (await createSurvey()).body.survey as { id: string; sha256: string };
    const edited = { ...DRAFT, title: "After your visit (short)", questions: [DRAFT.questions[1]!] };
    const res = await call(as("admin"), surveyVersions.POST, { method: "POST", body: { basedOn: 1, draft: edited }, orgId: acme, params: { id: first.id } });
    expect(res.status).toBe(201);
    expect(res.body.survey).toMatchObject({ id: first.id, version: 2, title: "After your visit (short)" });
    const v1 = await call(as("analyst"), surveyVersion.GET, { orgId: acme, params: { id: first.id, version: "1" } });
    expect(v1.status).toBe(200);
    expect(v1.body.survey).toMatchObject({ version: 1, title: "After your visit", sha256: first.sha256 });
    const latest = await call(as("operator"), surveyLatest.GET, { orgId: acme, params: { id: first.id } });
    expect(latest.body.survey).toMatchObject({ version: 2 });
    const stale = await call(as("owner"), surveyVersions.POST, { method: "POST", body: { basedOn: 1, draft: DRAFT }, orgId: acme, params: { id: first.id } });
    expect(stale.status).toBe(409);
    expect(stale.body.error!.code).toBe("version_conflict");
    const list = await call(as("operator"), surveys.GET, { orgId: acme });
    expect((list.body.surveys as { id: string; latestVersion: number; versions: number }[]).find((s) => s.id === first.id))
      .toMatchObject({ latestVersion: 2, versions: 2 });
  });

  it("a shopper script keeps its persona, lines and pauses, and a rubric in the scorer's schema carrying its id and version", async () => {
    const res = await call(as("owner"), scripts.POST, { method: "POST", body: SCRIPT, orgId: acme });
    expect(res.status).toBe(201);
    const script = res.body.shopperScript as { id: string; version: number; sha256: string; rubric: { id: string; version: number } };
    expect(script.rubric).toMatchObject({ id: script.id, version: 1, criteria: RUBRIC_CRITERIA });
    expect(script.sha256).toBe(versionHash(script));
    expect(res.body.spoken).toEqual([
      { kind: "say", text: "Hello, I would like to book a first appointment.", voice: "man" },
      { kind: "pause", seconds: 2 },
      { kind: "say", text: "Is Tuesday possible?", voice: "man" },
      // The called party's turn to answer the last line (lib/telephony/laml.ts LISTEN_SECONDS).
      { kind: "pause", seconds: 5 },
    ]);
    const v2 = await call(as("owner"), scriptVersions.POST, {
      method: "POST", orgId: acme, params: { id: script.id },
      body: { basedOn: 1, draft: { ...SCRIPT, rubric: { criteria: [RUBRIC_CRITERIA[0]!] } } },
    });
    expect(v2.body.shopperScript).toMatchObject({ version: 2, rubric: { id: script.id, version: 2 } });
  });

  it("previews a draft without storing it", async () => {
    const before = await sql()`select count(*)::int as n from public.survey_versions`;
    const res = await call(as("admin"), surveyPreview.POST, { method: "POST", body: { ...DRAFT, thankYou: "Bye & thanks." }, orgId: acme });
    expect(res.status).toBe(200);
    expect((res.body.spoken as { text: string }[]).at(-1)!.text).toBe("Bye & thanks.");
    const scriptRes = await call(as("admin"), scriptPreview.POST, { method: "POST", body: SCRIPT, orgId: acme });
    expect((scriptRes.body.spoken as { kind: string }[]).map((s) => s.kind)).toEqual(["say", "pause", "say", "pause"]);
    expect(await sql()`select count(*)::int as n from public.survey_versions`).toEqual(before);
  });
});

describe("who may, and bad input", () => {
  it("operators, analysts and viewers may not write (403); viewers may not read (403)", async () => {
    for (const who of ["operator", "analyst", "viewer"]) {
      const res = await createSurvey(DRAFT, who);
      expect(res.status, who).toBe(403);
    }
    expect((await call(as("viewer"), surveys.GET, { orgId: acme })).status).toBe(403);
    expect((await call(as("analyst"), surveys.GET, { orgId: acme })).status).toBe(200);
  });

  it("below the insights plan: 403 with a body that names the plan, in the API and in SQL", async () => {
    const res = await createSurvey(DRAFT, "borealisOwner", borealis);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: "plan_required", requestId: expect.any(String) });
    expect(res.body.error!.message).toMatch(/insights/i);
    const list = await call(as("borealisOwner"), surveys.GET, { orgId: borealis });
    expect(list.status).toBe(403);
    // The database agrees even if a route forgot: RLS refuses the insert as that owner.
    const { withUser } = await import("@/lib/db");
    await expect(withUser(claimsFor(people.borealisOwner!.userId), (tx) => tx`insert into public.surveys (organization_id) values (${borealis})`))
      .rejects.toThrow(/row-level security/);
  });

  it("another organization's survey is 404 to read, publish or set as default", async () => {
    const theirs = (await createSurvey(DRAFT, "borealisOwner", borealis)).status; // refused by plan, so make one on the service path
    expect(theirs).toBe(403);
    const otherOrg = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(otherOrg, owner.userId, "owner");
    const other = (await call(owner.browser, surveys.POST, { method: "POST", body: DRAFT, orgId: otherOrg })).body.survey as { id: string };
    expect((await call(as("owner"), surveyLatest.GET, { orgId: acme, params: { id: other.id } })).status).toBe(404);
    expect((await call(as("owner"), surveyVersion.GET, { orgId: acme, params: { id: other.id, version: "1" } })).status).toBe(404);
    expect((await call(as("owner"), surveyVersions.POST, { method: "POST", orgId: acme, params: { id: other.id }, body: { basedOn: 1, draft: DRAFT } })).status).toBe(404);
    const put = await call(as("owner"), voiceConfig.PUT, { method: "PUT", orgId: acme, body: { survey: { id: other.id, version: 1 } } });
    expect(put.status).toBe(404);
    expect((await call(as("owner"), surveyLatest.GET, { orgId: acme, params: { id: "not-a-uuid" } })).status).toBe(404);
    expect((await call(as("owner"), surveyVersion.GET, { orgId: acme, params: { id: other.id, version: "0x1" } })).status).toBe(404);
  });

  it("malformed drafts are 400 naming the field; oversized bodies are 413; nothing is stored", async () => {
    const before = await sql()`select count(*)::int as n from public.surveys`;
    const bad: [unknown, string][] = [
      [{ ...DRAFT, questions: [] }, "questions"],
      [{ ...DRAFT, questions: [{ id: "q", prompt: "Hm?", keypad: null, speech: false }] }, "questions"],
      [{ ...DRAFT, questions: [{ id: "q", prompt: "Hm?", keypad: { min: 5, max: 1 }, speech: false }] }, "min"],
      [{ ...DRAFT, questions: [DRAFT.questions[0], DRAFT.questions[0]] }, "unique"],
      [{ ...DRAFT, title: "a\u0000b" }, "title"],
      [{ ...DRAFT, extra: true }, "extra"],
      [{ ...DRAFT, questions: Array.from({ length: 11 }, (_, i) => ({ ...DRAFT.questions[0]!, id: `q${i}` })) }, "questions"],
    ];
    for (const [body, field] of bad) {
      const res = await createSurvey(body as SurveyDraft);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error!.message).toContain(field);
    }
    const badScript = await call(as("owner"), scripts.POST, {
      method: "POST", orgId: acme, body: { ...SCRIPT, rubric: { criteria: [{ id: "x", label: "?", weight: -1, kind: "phrase_present", phrases: ["hi"] }] } },
    });
    expect(badScript.status).toBe(400);
    const pauseOnly = await call(as("owner"), scripts.POST, { method: "POST", orgId: acme, body: { ...SCRIPT, steps: [{ pause: 3 }] } });
    expect(pauseOnly.status).toBe(400);
    const huge = await createSurvey({ ...DRAFT, title: "x".repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(await sql()`select count(*)::int as n from public.surveys`).toEqual(before);
  });
});

describe("the org default, the call that pins a version, and speech answers", () => {
  it("a call runs the version it was placed with; publishing later changes neither its snapshot nor its hash", async () => {
    const created = (await createSurvey()).body.survey as { id: string; sha256: string };
    const script = (await call(as("owner"), scripts.POST, { method: "POST", body: SCRIPT, orgId: acme })).body.shopperScript as { id: string };
    const put = await call(as("owner"), voiceConfig.PUT, {
      method: "PUT", orgId: acme, body: { survey: { id: created.id, version: 1 }, shopperScript: { id: script.id, version: 1 } },
    });
    expect(put.status).toBe(200);
    expect(put.body.config).toMatchObject({ survey: { id: created.id, version: 1, sha256: created.sha256 } });
    const [cfg] = await sql()`select survey_id, survey_version, survey_sha256 from public.voice_configs where organization_id = ${acme}`;
    expect(cfg).toEqual({ survey_id: created.id, survey_version: 1, survey_sha256: created.sha256 });

    const operator = sessionFromClaims(claimsFor(people.operator!.userId));
    sim.setScenario("+14155550161", { kind: "silent" });
    const placed = await placeCall(operator, await authorize(operator, "calls.place", acme), { to: "+14155550161" }, `k-${Date.now()}`, log);
    const [row] = await sql()`select modulations from public.calls where id = ${placed.call.id}`;
    const snapshot = modulationSnapshotSchema.parse(await asService((tx) => openSnapshotNumbers(tx, acme, "calls.modulations", row!.modulations)));
    expect(snapshot.survey).toMatchObject({ id: created.id, version: 1, sha256: created.sha256 });
    // The frozen content is what was hashed: anyone can recompute it from the snapshot alone.
    expect(versionHash(snapshot.survey!)).toBe(snapshot.survey!.sha256);
    expect(versionHash(snapshot.shopperScript!)).toBe(snapshot.shopperScript!.sha256);

    await call(as("owner"), surveyVersions.POST, { method: "POST", orgId: acme, params: { id: created.id }, body: { basedOn: 1, draft: { ...DRAFT, title: "v2" } } });
    const [after] = await sql()`select modulations from public.calls where id = ${placed.call.id}`;
    expect(after!.modulations).toEqual(row!.modulations);

    // An operator may choose another published version when placing a call.
    const v2 = (await call(as("operator"), surveyLatest.GET, { orgId: acme, params: { id: created.id } })).body.survey as { version: number; sha256: string };
    sim.setScenario("+14155550162", { kind: "silent" });
    const chosen = await placeCall(operator, await authorize(operator, "calls.place", acme),
      { to: "+14155550162", surveyVersion: { id: created.id, version: 2 } }, `k2-${Date.now()}`, log);
    const [second] = await sql()`select modulations from public.calls where id = ${chosen.call.id}`;
    expect(second!.modulations.survey).toMatchObject({ version: 2, sha256: v2.sha256, title: "v2" });
  });

  it("the database refuses a call whose survey is not, exactly, a published version of its organization", async () => {
    const orgId = acme;
    const survey = (await createSurvey()).body.survey as Record<string, unknown> & { id: string };
    const plan = (s: unknown) => planFor({ record: false, disclosure: null, survey: s as never });
    await expect(queuedCall(orgId, people.owner!.userId, plan({ ...survey, thankYou: "Edited after publishing." }))).rejects.toThrow(/not a published version/);
    await expect(queuedCall(orgId, people.owner!.userId, plan({ ...survey, sha256: "0".repeat(64) }))).rejects.toThrow(/not a published version/);
    await expect(queuedCall(borealis, people.owner!.userId, plan(survey))).rejects.toThrow(/not a published version/);
    expect(await queuedCall(orgId, people.owner!.userId, plan(survey))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a spoken answer is stored with its confidence, provenance and the hash of its canonical JSON; a repeat stores nothing", async () => {
    const survey = (await createSurvey()).body.survey as never;
    const callId = await queuedCall(acme, people.owner!.userId, planFor({ record: false, disclosure: null, survey }));
    const gather = async (q: number, form: Record<string, string>) => {
      const res = await gatherRoute.POST(signedRequest(`/api/laml/${callId}/gather?q=${q}&attempt=1`, { CallSid: sidOf("CA-speech"), ...form }), ctx({ callId }));
      expect(res.status).toBe(200);
      return res.text();
    };
    const second = await gather(0, { Digits: "4" });
    expect(second).toContain('input="speech"');
    expect(second).toContain('speechTimeout="auto"');
    expect(await gather(1, { SpeechResult: "The waiting room was too cold.", Confidence: "0.87" })).toContain("Thank you. Goodbye.");
    expect(await gather(1, { SpeechResult: "Something else entirely.", Confidence: "0.5" })).toContain("Thank you. Goodbye.");
    const rows = await sql()<(Record<string, unknown>)[]>`
      select organization_id, call_id, survey_id, survey_version, survey_sha256, question_index, question_id, source, answer, digits,
             speech_confidence, attempts, provider, provider_sid, received_at, sha256
      from public.survey_answers where call_id = ${callId} order by question_index`;
    expect(rows.map((r) => [r.source, r.answer, r.speech_confidence])).toEqual([["keypad", "4", null], ["speech", "The waiting room was too cold.", "0.87"]]);
    for (const r of rows) {
      const record: AnswerRecord = {
        organizationId: r.organization_id as string, callId: r.call_id as string, surveyId: r.survey_id as string,
        surveyVersion: r.survey_version as number, surveySha256: r.survey_sha256 as string, questionIndex: r.question_index as number,
        questionId: r.question_id as string, source: r.source as AnswerRecord["source"], answer: r.answer as string,
        digits: r.digits as string | null, speechConfidence: r.speech_confidence === null ? null : Number(r.speech_confidence),
        attempts: r.attempts as number, provider: r.provider as string, providerSid: r.provider_sid as string,
        receivedAt: (r.received_at as Date).toISOString(),
      };
      expect(r.sha256).toBe(canonicalSha256(answerDocument(record)));
      expect(r).toMatchObject({ provider: "signalwire", provider_sid: sidOf("CA-speech"), survey_sha256: (survey as { sha256: string }).sha256 });
    }
    // The spoken words are content: the timeline says an answer came, not what it was.
    const events = await sql()`select payload from public.call_events where call_id = ${callId} and kind = 'provider.gather'`;
    expect(JSON.stringify(events)).not.toContain("waiting room");
    await expect(asService((tx) => tx`update public.survey_answers set answer = 'x' where call_id = ${callId}`)).rejects.toThrow(/permission denied/);
  });

  it("speech to a keypad-only question, or a blank or oversized SpeechResult, is no answer: re-prompted", async () => {
    const survey = (await createSurvey({ ...DRAFT, questions: [DRAFT.questions[0]!] })).body.survey as never;
    const callId = await queuedCall(acme, people.owner!.userId, planFor({ record: false, disclosure: null, survey }));
    for (const form of [{ SpeechResult: "five", Confidence: "0.9" }, { SpeechResult: "   " }, { SpeechResult: "x".repeat(2001) }] as Record<string, string>[]) {
      const res = await gatherRoute.POST(signedRequest(`/api/laml/${callId}/gather?q=0&attempt=1`, { CallSid: sidOf("CA-kp"), ...form }), ctx({ callId }));
      expect(await res.text()).toContain("Sorry, that is not a valid answer.");
    }
    expect(await sql()`select 1 from public.survey_answers where call_id = ${callId}`).toHaveLength(0);
  });
});
