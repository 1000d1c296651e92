import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CallDetail, ScorecardEntry } from "@/lib/calls/contracts";
import { placeCall as placeAuthorized } from "@/lib/calls/place-call";
import { getCallDetail } from "@/lib/call-detail/detail";
import { viewFor } from "@/lib/calls/call-view";
import type { ShopperScript, ShopperScriptDraft } from "@/lib/surveys/documents";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import type { Criterion, CriterionResult } from "@/lib/surveys/scorer";
import { SCORER_MODEL, scoreStoredTranscript } from "@/lib/intelligence/scoring";
import { transcriptForScoring } from "@/lib/intelligence/artifacts";
import { authorize } from "@/lib/rbac/authorize";
import type { Plan, Role } from "@/lib/rbac/policy";
import { addMembership } from "@/tests/support/fixtures";
import { call as callRoute, signedInUser, type Browser } from "@/tests/support/member-requests";
import { recordingOrg, setupPipeline, waitFor, type RecordingOrg } from "@/tests/support/pipeline";
import { publishScript } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Shopper scoring end to end: calls with a shopper script placed through the carrier stand-in
 * (real SignalWire SDK), their recordings transcribed by the AssemblyAI stand-in (real SDK,
 * webhooks over HTTP), the transcript scored in the transaction that stores it, read back
 * through the call detail as each role, and re-scored through the route.
 */
const pipeline = setupPipeline({ tmpPrefix: "verbatim-score-", apiKey: "test-assemblyai-key-scoring-0123" });
const { log } = pipeline;

const scoreRoute = await import("@/app/api/calls/[id]/score/route");
const scriptVersions = await import("@/app/api/shopper-scripts/[id]/versions/route");

// ---- helpers -------------------------------------------------------------------------------

/** A recording organization whose owner, admin and operator also have signed-in browsers. */
interface Org extends RecordingOrg {
  browsers: Record<"owner" | "admin" | "operator", Browser>;
}

async function org(plan: Plan, config: { redact?: boolean } = {}): Promise<Org> {
  const o = await recordingOrg(plan, config);
  const browsers = {} as Org["browsers"];
  for (const role of ["owner", "admin", "operator"] as const) {
    const person = await signedInUser();
    await addMembership(o.id, person.userId, role);
    browsers[role] = person.browser;
  }
  return { ...o, browsers };
}

let n = 0;
async function place(o: Org, to: string, script: ShopperScript | null): Promise<string> {
  n += 1;
  // The owner: turning on a script the organization's defaults leave off needs survey.enable.
  const session = o.sessions.owner;
  const request = script ? { to, shopperScriptVersion: { id: script.id, version: script.version } } : { to };
  const { call } = await placeAuthorized(session, await authorize(session, "calls.place", o.id), request, `score-${Date.now()}-${n}`, log);
  return call.id;
}

const target = () => `+1415557${String(1000 + Math.floor(Math.random() * 8999)).slice(-4)}`;

type ScoreRow = { id: string; body: unknown; sha256: string; provenance: Record<string, unknown>; inputs: Record<string, unknown>; supersedes: string | null; transcriptionId: string | null };
const scoresOf = (callId: string) => sql()<ScoreRow[]>`
  select id, body, sha256, provenance, inputs, supersedes, transcription_id as "transcriptionId"
  from public.call_artifacts where call_id = ${callId} and kind = 'score' order by produced_at, id`;
const eventsOf = async (callId: string) => sql()<{ kind: string; payload: Record<string, unknown> }[]>`
  select kind, payload from public.call_events where call_id = ${callId} order by id`;

async function scored(callId: string): Promise<ScoreRow> {
  return waitFor(`a score for ${callId}`, async () => (await scoresOf(callId))[0]);
}

async function transcribed(callId: string): Promise<void> {
  await waitFor(`transcription of ${callId}`, async () =>
    (await sql()`select 1 from public.transcriptions where call_id = ${callId} and status = 'completed'`).length > 0);
}

const detail = (o: Org, role: Role, callId: string, original = false): Promise<CallDetail | null> =>
  withUser(o.sessions[role].claims, (tx) => getCallDetail(tx, { orgId: o.id, callId, view: viewFor(o.memberships[role], { original }) }));

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

const byId = (card: { criteria: CriterionResult[] }) => Object.fromEntries(card.criteria.map((c) => [c.criterionId, c]));

const CRITERIA: Criterion[] = [
  { id: "greets", label: "Greets the caller", weight: 1, kind: "phrase_present", phrases: ["good morning", "hello"] },
  { id: "desk", label: "Names the front desk", weight: 1, kind: "phrase_present", phrases: ["front desk"] },
  { id: "offers", label: "Offers an appointment", weight: 2, kind: "phrase_present", phrases: ["appointment"] },
  { id: "no-brushoff", label: "Does not send the caller away", weight: 2, kind: "phrase_absent", phrases: ["call back later"] },
  { id: "answers", label: "Answers within 5 s", weight: 1, kind: "answered_within", seconds: 5 },
  { id: "flow", label: "No long silence", weight: 1, kind: "longest_silence", maxSeconds: 3 },
  { id: "length", label: "Between 1 s and 2 min", weight: 1, kind: "duration_bounds", minSeconds: 1, maxSeconds: 120 },
  { id: "warm", label: "Mostly positive", weight: 1, kind: "sentiment_threshold", sentiment: "POSITIVE", comparison: "at_least", share: 0.5 },
];

const DRAFT: ShopperScriptDraft = {
  title: "New patient enquiry",
  persona: { name: "Alex", description: "Wants a first appointment" },
  steps: [{ say: "Hello, I would like to book a first appointment." }],
  rubric: { criteria: CRITERIA },
};

/** Every decided criterion cites an utterance (text, ms span) that is in the transcript, or a measurement. */
function expectCitations(card: { criteria: CriterionResult[] }, utterances: Array<{ text: string; start: number; end: number }>): void {
  for (const c of card.criteria) {
    if (c.outcome === "no_evidence") {
      expect(c.evidence, c.criterionId).toBeNull();
      continue;
    }
    expect(c.evidence, c.criterionId).not.toBeNull();
    if (c.evidence!.type === "utterance") {
      expect(utterances, c.criterionId).toContainEqual(expect.objectContaining({ text: c.evidence!.text, start: c.evidence!.startMs, end: c.evidence!.endMs }));
      expect(c.evidence!.endMs).toBeGreaterThan(c.evidence!.startMs);
    } else {
      expect(Number.isFinite(c.evidence!.value), c.criterionId).toBe(true);
      expect(c.evidence!.span.endMs).toBeGreaterThanOrEqual(c.evidence!.span.startMs);
    }
    expect(c.reason.length).toBeGreaterThan(0);
  }
}

// ---- the tests -------------------------------------------------------------------------------

describe("a shopper call to the helpful number", () => {
  let acme: Org;
  let script: ShopperScript;
  let callId: string;

  beforeAll(async () => {
    acme = await org("insights");
    script = await publishScript(acme.id, acme.ownerId, DRAFT);
    callId = await place(acme, "+15005550009", script);
    await scored(callId);
  }, 60_000);

  it("scores the transcript when it is stored: pass on every criterion the reply meets, each citing its evidence", async () => {
    const [row] = await scoresOf(callId);
    const shown = await detail(acme, "operator", callId);
    expect(shown!.scorecards).toHaveLength(1);
    const entry = shown!.scorecards![0]!;
    expect(entry).toMatchObject({ artifactId: row!.id, sha256: row!.sha256, supersedes: null, producedAt: expect.any(String) });
    const card = entry.scorecard;
    expect(card.rubric).toEqual({ id: script.id, version: 1 });
    const results = byId(card);
    for (const id of ["greets", "desk", "offers", "no-brushoff", "answers", "flow", "length", "warm"]) expect(results[id]!.outcome, id).toBe("pass");
    expect(results.greets!.evidence).toMatchObject({ type: "utterance", matched: "good morning" });
    expect(results.length!.evidence).toMatchObject({ type: "measurement", unit: "seconds" });
    expect(card.score).toBe(1);
    expect(card.counts).toEqual({ pass: 8, fail: 0, no_evidence: 0 });
    // Recorded whole, dual channel: the called party is channel 2, and answered the phone first.
    expect(card.calledPartySpeaker).toBe(shown!.transcript!.utterances[0]!.speaker);
    expect(shown!.transcript!.utterances[0]!.channel).toBe("2");
    // A conversation, turn by turn: several utterances from both parties, and the scorecard's
    // citations point at distinct moments of it (not all at 0:00).
    const utterances = shown!.transcript!.utterances;
    expect(utterances.length).toBeGreaterThanOrEqual(4);
    expect(new Set(utterances.map((u) => u.speaker)).size).toBe(2);
    const moments = new Set(card.criteria.flatMap((c) => (c.evidence ? [c.evidence.type === "utterance" ? c.evidence.startMs : c.evidence.span.startMs] : [])));
    expect(moments.size).toBeGreaterThanOrEqual(3);
    expectCitations(card, shown!.transcript!.utterances);
  });

  it("stores it as an immutable artifact: hash over canonical JSON, provenance, the transcript and rubric as inputs", async () => {
    const [row] = await scoresOf(callId);
    expect(row!.sha256).toBe(hex(canonicalJson(row!.body)));
    expect(row!.transcriptionId).toBeNull();
    expect(row!.provenance).toMatchObject({ vendor: "verbatim", models: [SCORER_MODEL], parameters: { calledPartySpeaker: expect.any(String) }, producedAt: expect.any(String) });
    const [transcript] = await sql()<{ id: string; sha256: string }[]>`select id, sha256 from public.call_artifacts where call_id = ${callId} and kind = 'transcript'`;
    expect(row!.inputs).toEqual({ transcript: { id: transcript!.id, sha256: transcript!.sha256 }, rubric: { scriptId: script.id, version: 1, sha256: script.sha256 } });
    const events = (await eventsOf(callId)).filter((e) => e.kind === "score.stored");
    expect(events).toEqual([{ kind: "score.stored", payload: {
      artifactId: row!.id, sha256: row!.sha256, rubric: { id: script.id, version: 1 }, score: 1, counts: { pass: 8, fail: 0, no_evidence: 0 },
    } }]);
    expect((await detail(acme, "operator", callId))!.events.map((e) => e.summary)).toContain("Shopper score 100% (rubric v1: 8 pass, 0 fail, 0 no evidence)");
  });

  it("stores nothing when the same transcript is scored with the same rubric version again (a repeated job run)", async () => {
    const before = await scoresOf(callId);
    const again = await asService(async (tx) => {
      const transcript = (await transcriptForScoring(tx, { orgId: acme.id, callId }))!;
      return scoreStoredTranscript(tx, { orgId: acme.id, callId, transcript, multichannel: false });
    });
    expect(again).toMatchObject({ created: false, score: { artifactId: before[0]!.id } });
    expect(await scoresOf(callId)).toEqual(before);
    expect((await eventsOf(callId)).filter((e) => e.kind === "score.stored")).toHaveLength(1);
  });

  it("lets operators and analysts read the scores, not viewers, in the API and in SQL", async () => {
    for (const role of ["owner", "admin", "operator", "analyst"] as const) {
      expect((await detail(acme, role, callId))!.scorecards, role).toHaveLength(1);
    }
    expect((await detail(acme, "viewer", callId))!.scorecards).toBeNull();
    const seen = (role: Role) => withUser(acme.sessions[role].claims, async (tx) =>
      (await tx`select id from public.call_artifacts where call_id = ${callId} and kind = 'score'`).length);
    expect(await seen("analyst")).toBe(1);
    expect(await seen("viewer")).toBe(0);
  });

  it("refuses UPDATE and DELETE of a score for every role, the service path and the table owner", async () => {
    const [score] = await scoresOf(callId);
    const attempts: Array<[string, () => Promise<unknown>]> = [];
    for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
      attempts.push([`${role} update`, () => withUser(acme.sessions[role].claims, (tx) => tx`update public.call_artifacts set body = '{}' where id = ${score!.id} returning id`.then((r) => { if (r.length === 0) throw new Error("no row updated"); }))]);
      attempts.push([`${role} delete`, () => withUser(acme.sessions[role].claims, (tx) => tx`delete from public.call_artifacts where id = ${score!.id} returning id`.then((r) => { if (r.length === 0) throw new Error("no row deleted"); }))]);
    }
    attempts.push(["service update", () => asService((tx) => tx`update public.call_artifacts set body = '{}' where id = ${score!.id}`)]);
    attempts.push(["service delete", () => asService((tx) => tx`delete from public.call_artifacts where id = ${score!.id}`)]);
    attempts.push(["owner connection update", () => sql()`update public.call_artifacts set sha256 = ${"0".repeat(64)} where id = ${score!.id}`]);
    attempts.push(["owner connection delete", () => sql()`delete from public.call_artifacts where id = ${score!.id}`]);
    for (const [label, attempt] of attempts) await expect(attempt(), label).rejects.toThrow();
    expect(await scoresOf(callId)).toEqual([score]);
  });

  it("re-scores with a new rubric version as a new row that supersedes the old one, which stays byte-identical", async () => {
    const [old] = await scoresOf(callId);
    const path = `/api/calls/${callId}/score`;
    // A stricter v2: the reply must also mention a price, which it does not.
    const v2 = await callRoute(acme.browsers.owner, scriptVersions.POST, {
      method: "POST", orgId: acme.id, params: { id: script.id },
      body: { basedOn: 1, draft: { ...DRAFT, rubric: { criteria: [...CRITERIA, { id: "price", label: "Quotes a price", weight: 1, kind: "phrase_present", phrases: ["dollars"] }] } } },
    });
    expect(v2.status).toBe(201);

    // No body: the script's latest published version (2).
    const rescored = await callRoute(acme.browsers.admin, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId } });
    expect(rescored.status).toBe(201);
    const score = rescored.body.score as ScorecardEntry;
    expect(score.scorecard.rubric).toEqual({ id: script.id, version: 2 });
    expect(score.supersedes).toBe(old!.id);
    expect(byId(score.scorecard).price).toMatchObject({ outcome: "fail", evidence: { type: "measurement", unit: "matches", value: 0 } });
    expect(score.scorecard.score).toBeCloseTo(10 / 11);

    const rows = await scoresOf(callId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(old);
    expect(rows[0]!.sha256).toBe(hex(canonicalJson(rows[0]!.body)));
    expect(rows[1]!.inputs).toMatchObject({ rubric: { scriptId: script.id, version: 2, sha256: (v2.body.shopperScript as { sha256: string }).sha256 } });

    // The same version again, named or by default: 200 with the existing score, nothing added.
    const same = await callRoute(acme.browsers.owner, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId }, body: { version: 2 } });
    expect(same.status).toBe(200);
    expect((same.body.score as ScorecardEntry).artifactId).toBe(score.artifactId);
    expect((await callRoute(acme.browsers.owner, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId } })).status).toBe(200);
    const first = await callRoute(acme.browsers.owner, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId }, body: { version: 1 } });
    expect(first.status).toBe(200);
    expect((first.body.score as ScorecardEntry).artifactId).toBe(old!.id);
    expect(await scoresOf(callId)).toHaveLength(2);
    expect((await eventsOf(callId)).filter((e) => e.kind === "score.stored")).toHaveLength(2);

    // The detail: both, oldest first, the last current; the old one still readable as it was.
    const shown = await detail(acme, "analyst", callId);
    expect(shown!.scorecards!.map((s) => s.artifactId)).toEqual([old!.id, score.artifactId]);
    expect(shown!.scorecards![0]!.scorecard).toEqual(old!.body);
    expect(shown!.scorecards![1]!.supersedes).toBe(old!.id);
  });

  it("answers operators 403, another organization's admin 404, a version that does not exist 404, a bad body 400", async () => {
    const path = `/api/calls/${callId}/score`;
    expect((await callRoute(acme.browsers.operator, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId } })).status).toBe(403);
    const other = await org("insights");
    expect((await callRoute(other.browsers.admin, scoreRoute.POST, { method: "POST", path, orgId: other.id, params: { id: callId } })).status).toBe(404);
    expect((await callRoute(acme.browsers.admin, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId }, body: { version: 99 } })).status).toBe(404);
    expect((await callRoute(acme.browsers.admin, scoreRoute.POST, { method: "POST", path, orgId: acme.id, params: { id: callId }, body: { version: "2" } })).status).toBe(400);
    const pro = await org("pro");
    expect((await callRoute(pro.browsers.owner, scoreRoute.POST, { method: "POST", path, orgId: pro.id, params: { id: callId } })).status).toBe(403);
    expect(await scoresOf(callId)).toHaveLength(2);
  });
});

describe("other calls", () => {
  let acme: Org;
  let script: ShopperScript;

  beforeAll(async () => {
    acme = await org("insights");
    script = await publishScript(acme.id, acme.ownerId, DRAFT);
  });

  it("the unhelpful number fails the phrase criteria, citing the utterance that sends the caller away", async () => {
    const callId = await place(acme, "+15005550010", script);
    await scored(callId);
    const shown = await detail(acme, "operator", callId);
    const card = shown!.scorecards![0]!.scorecard;
    const results = byId(card);
    expect(results.greets).toMatchObject({ outcome: "fail", evidence: { type: "measurement", unit: "matches", value: 0 } });
    expect(results.offers!.outcome).toBe("fail");
    expect(results["no-brushoff"]).toMatchObject({ outcome: "fail", evidence: { type: "utterance", matched: "call back later" } });
    expect(results.warm!.outcome).toBe("fail");
    expect(results.answers!.outcome).toBe("pass");
    expect(card.score!).toBeLessThan(0.5);
    expectCitations(card, shown!.transcript!.utterances);
  }, 60_000);

  it("a criterion with nothing to measure is no_evidence and leaves the score to the decided ones", async () => {
    // The called party picks up and says nothing: our side's lines are on the recording, theirs
    // is silent, so what only their words decide (phrases, sentiment) has nothing to go on.
    const to = target();
    pipeline.carrier.setScenario(to, { kind: "answered", reply: "" });
    const callId = await place(acme, to, script);
    await scored(callId);
    const card = (await detail(acme, "analyst", callId))!.scorecards![0]!.scorecard;
    const results = byId(card);
    for (const id of ["greets", "desk", "offers", "no-brushoff", "warm"]) expect(results[id], id).toMatchObject({ outcome: "no_evidence", evidence: null });
    expect(results.answers!.outcome).toBe("fail");
    expect(results.length!.outcome).toBe("pass");
    expect(card.counts.no_evidence).toBe(5);
    expect(card.decidedWeight).toBe(3);
    expect(card.score).toBeCloseTo(results.flow!.outcome === "pass" ? 2 / 3 : 1 / 3);
  }, 60_000);

  it("a call without a shopper script stores no score, and re-scoring it is 409", async () => {
    const callId = await place(acme, target(), null);
    await transcribed(callId);
    expect(await scoresOf(callId)).toEqual([]);
    const res = await callRoute(acme.browsers.admin, scoreRoute.POST, { method: "POST", path: `/api/calls/${callId}/score`, orgId: acme.id, params: { id: callId } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "no_shopper_script" });
    expect((await detail(acme, "operator", callId))!.scorecards).toEqual([]);
  }, 60_000);

  it("re-scoring a shopper call with no transcript yet is 409 with a reason", async () => {
    const to = target();
    pipeline.carrier.setScenario(to, { kind: "silent" });
    const callId = await place(acme, to, script);
    const res = await callRoute(acme.browsers.owner, scoreRoute.POST, { method: "POST", path: `/api/calls/${callId}/score`, orgId: acme.id, params: { id: callId } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "no_transcript", message: expect.stringMatching(/no transcript yet/) });
    expect(await scoresOf(callId)).toEqual([]);
  });
});

describe("a redacting organization", () => {
  it("scores the redacted transcript, so no scorecard quotes what redaction hid", async () => {
    const NAME = "Maria";
    const PHONE = "4155550123";
    const o = await org("insights", { redact: true });
    const script = await publishScript(o.id, o.ownerId, {
      ...DRAFT,
      rubric: { criteria: [{ id: "desk", label: "Names the front desk", weight: 1, kind: "phrase_present", phrases: ["front desk"] }] },
    });
    const to = target();
    pipeline.carrier.setScenario(to, { kind: "answered", reply: `Hello, this is ${NAME} at the front desk. Call me back on ${PHONE} please.` });
    const callId = await place(o, to, script);
    const row = await scored(callId);
    const [redacted] = await sql()<{ id: string; sha256: string }[]>`select id, sha256 from public.call_artifacts where call_id = ${callId} and kind = 'redacted_transcript'`;
    expect(row!.inputs).toMatchObject({ transcript: { id: redacted!.id, sha256: redacted!.sha256 } });
    expect(JSON.stringify(row!.body)).not.toContain(NAME);
    const desk = byId(row!.body as { criteria: CriterionResult[] }).desk!;
    expect(desk).toMatchObject({ outcome: "pass", evidence: { type: "utterance", text: expect.stringContaining("[PERSON_NAME]") } });
    // Even the owner reading the original transcript gets the scorecard made from the redacted one.
    const asOwner = await detail(o, "owner", callId, true);
    expect(asOwner!.transcript!.text).toContain(NAME);
    expect(JSON.stringify(asOwner!.scorecards)).not.toContain(NAME);
    expect(JSON.stringify(asOwner!.scorecards)).not.toContain(PHONE);
  }, 60_000);
});
