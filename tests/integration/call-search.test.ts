import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { listCallIds } from "@/lib/calls/call-search";
import { callHighlightsResponseSchema, callListResponseSchema, type CallListResponse } from "@/lib/calls/contracts";
import { maskNumber, viewFor } from "@/lib/calls/call-view";
import { callNumberColumns } from "@/lib/calls/numbers";
import type { ShopperScript, Survey } from "@/lib/surveys/documents";
import { asService, withUser, type Tx } from "@/lib/db";
import { storeArtifact, storeScoreArtifact } from "@/lib/intelligence/artifacts";
import type { Role } from "@/lib/rbac/policy";
import { savedTarget } from "@/tests/support/campaigns";
import { addMembership, claimsFor, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser, type Answer, type Browser } from "@/tests/support/member-requests";
import { keypad, publishScript, publishSurvey, scriptDraft, surveyDraft } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Finding calls (GET /api/calls with filters, GET /api/calls/:id/highlights) through the real
 * route handlers as each role, against the migrated database with RLS: every filter, their
 * combinations, keyset pages under a filter, full-text search with stemming in English and
 * Spanish, the redaction rule, what viewers may and may not ask, other organizations, and
 * malformed input. Calls and artifacts are made through the service path and the artifacts'
 * one writer (lib/intelligence/artifacts.ts), as the transcription jobs make them.
 */
const list = await import("@/app/api/calls/route");
const highlights = await import("@/app/api/calls/[id]/highlights/route");

type People = Record<Role, { userId: string; browser: Browser }>;

async function people(orgId: string, roles: readonly Role[] = ["owner", "admin", "operator", "analyst", "viewer"]): Promise<People> {
  const out = {} as People;
  for (const role of roles) {
    const person = await signedInUser();
    await addMembership(orgId, person.userId, role);
    out[role] = person;
  }
  return out;
}

interface CallSpec {
  status?: string;
  flow?: "direct" | "bridge";
  to?: string;
  at: string;
  record?: boolean;
  transcribe?: boolean;
  translate?: string[] | null;
  redact?: boolean;
  script?: ShopperScript | null;
  survey?: Survey | null;
}

let seq = 0;
async function makeCall(orgId: string, createdBy: string, spec: CallSpec): Promise<string> {
  seq += 1;
  const flow = spec.flow ?? "direct";
  const to = spec.to ?? "+14155550177";
  const record = spec.record ?? Boolean(spec.transcribe);
  // The numbers as the app writes them: sealed, with their hashes and masks (docs/adr/0044).
  const [row] = await asService(async (tx) => tx<{ id: string }[]>`
    insert into public.calls ${tx({
      organization_id: orgId, created_by: createdBy, flow, ...(await callNumberColumns(tx, orgId, { from: "+15550100000", to })),
      status: spec.status ?? "completed", idempotency_key: `search-${seq}-${randomUUID()}`,
      modulations: tx.json({
        flow, from: "+15550100000", to, operatorPhone: flow === "bridge" ? "+15550100999" : null,
        record, transcribe: Boolean(spec.transcribe), translate: spec.translate ? { languages: spec.translate } : null,
        redact: spec.redact ?? false, disclosure: record ? "This call is recorded." : null,
        survey: spec.survey ?? null, shopperScript: spec.script ?? null, configVersion: 1,
      } as never),
      plan_tier: "global", created_at: spec.at, updated_at: spec.at,
    })}
    returning id`);
  return row!.id;
}

async function storedRecording(orgId: string, callId: string): Promise<void> {
  await asService((tx) => tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${`test/${callId}.wav`}, ${"a".repeat(64)}, 1000, 10, 2, 'audio/wav')`);
}

const provenance = () => ({ vendor: "test", models: ["test"], producedAt: new Date().toISOString() });

/** A transcript as settle-transcription stores it: utterances, their joined text, the language. */
function transcriptBody(language: string, lines: string[]) {
  const utterances = lines.map((text, i) => ({ speaker: i % 2 ? "B" : "A", channel: null, start: i * 3000, end: i * 3000 + 2500, text, confidence: 0.9 }));
  return {
    transcript_id: randomUUID(), language_code: language, language_confidence: 0.9, confidence: 0.9, audio_duration: lines.length * 3,
    text: lines.join(" "), utterances, words: [], sentiment_analysis_results: [], entities: [], redacted: false,
  };
}

async function transcript(orgId: string, callId: string, language: string, lines: string[], extra: { kind?: "transcript" | "redacted_transcript"; restricted?: boolean } = {}): Promise<string> {
  return (await asService((tx) => storeArtifact(tx, {
    orgId, callId, kind: extra.kind ?? "transcript", language, body: transcriptBody(language, lines), provenance: provenance(),
    inputs: {}, restricted: extra.restricted ?? false,
  })))!;
}

async function translation(orgId: string, callId: string, language: string, text: string): Promise<void> {
  await asService((tx) => storeArtifact(tx, {
    orgId, callId, kind: "translation", language, body: { transcript_id: "t", language, source_language: null, text }, provenance: provenance(), inputs: {},
  }));
}

async function score(orgId: string, callId: string, transcriptId: string, script: ShopperScript, value: number, version = script.version): Promise<void> {
  await asService((tx) => storeScoreArtifact(tx, {
    orgId, callId, provenance: provenance(),
    body: { rubric: { id: script.id, version }, calledPartySpeaker: "B", score: value, passedWeight: value, decidedWeight: 1, counts: { pass: 1, fail: 0, no_evidence: 0 }, criteria: [] },
    inputs: { transcript: { id: transcriptId, sha256: "b".repeat(64) }, rubric: { scriptId: script.id, version, sha256: script.sha256 } },
  }));
}

// ---- the organizations ------------------------------------------------------------------------

let orgId: string;
let other: { orgId: string; owner: Browser; callId: string };
let pro: { orgId: string; operator: Browser; operatorId: string; callId: string };
let p: People;
let script: ShopperScript;
let survey: Survey;
const c = {} as Record<"refundEn" | "es" | "redacted" | "failed" | "busy" | "superseded", string>;
/** Calls that said "appointment", for paging under a filter (ten share one created_at). */
const paged: { id: string; at: string }[] = [];

beforeAll(async () => {
  orgId = await createOrg("global");
  p = await people(orgId);
  const by = p.owner.userId;
  script = await publishScript(orgId, by, scriptDraft(["Hello, I would like an appointment."]));
  survey = await publishSurvey(orgId, by, surveyDraft({ questions: [keypad("q1", "How was it?")] }));

  c.refundEn = await makeCall(orgId, by, { at: "2026-01-10T10:00:00Z", to: "+14155550123", transcribe: true, translate: ["es"], script });
  await storedRecording(orgId, c.refundEn);
  const t1 = await transcript(orgId, c.refundEn, "en", ["Good morning, how can I help you?", "I would like a refund for my order."]);
  await translation(orgId, c.refundEn, "es", "Buenos días, ¿en qué puedo ayudarle? Quisiera un reembolso de mi pedido.");
  await score(orgId, c.refundEn, t1, script, 0.9);

  c.es = await makeCall(orgId, by, { at: "2026-01-11T10:00:00Z", to: "+34911222333", transcribe: true, translate: ["en"] });
  await storedRecording(orgId, c.es);
  await transcript(orgId, c.es, "es", ["Hola, buenas tardes.", "Quiero pedir reembolsos de mis compras."]);
  await translation(orgId, c.es, "en", "Hello, good afternoon. I want to ask for refunds of my purchases.");

  // A redacting call: the original is restricted (owners and admins), the redacted one is read by the rest.
  c.redacted = await makeCall(orgId, by, { at: "2026-01-12T10:00:00Z", to: "+14155559876", transcribe: true, redact: true, script, survey });
  await storedRecording(orgId, c.redacted);
  await transcript(orgId, c.redacted, "en", ["Front desk, how can I help?", "My name is Zebediah Quixote and I need help."], { restricted: true });
  const redacted = await transcript(orgId, c.redacted, "en", ["Front desk, how can I help?", "My name is [PERSON_NAME] and I need help."], { kind: "redacted_transcript" });
  await score(orgId, c.redacted, redacted, script, 0.4);

  c.failed = await makeCall(orgId, by, { at: "2026-01-13T23:30:00Z", status: "failed", flow: "bridge", to: "+442071234567" });
  c.busy = await makeCall(orgId, by, { at: "2026-01-14T00:30:00Z", status: "busy" });

  // A re-transcribed, re-scored call: only the current transcript and score count.
  c.superseded = await makeCall(orgId, by, { at: "2026-01-09T10:00:00Z", transcribe: true, script });
  const old = await transcript(orgId, c.superseded, "en", ["An old transcript about a pineapple."]);
  await score(orgId, c.superseded, old, script, 0.2);
  const current = await transcript(orgId, c.superseded, "en", ["A new transcript about a mango."]);
  await score(orgId, c.superseded, current, script, 0.95);

  // Thirty calls that mention an appointment, the last ten at the same instant (the id breaks the tie).
  for (let i = 0; i < 30; i++) {
    const at = i < 20 ? new Date(Date.parse("2025-12-01T00:00:00Z") + i * 3_600_000).toISOString() : "2025-12-05T12:00:00.123456Z"; // microseconds: the cursor must carry them whole
    const id = await makeCall(orgId, by, { at, transcribe: true, status: i % 4 === 0 ? "no_answer" : "completed" });
    await transcript(orgId, id, "en", [`Call ${i}.`, "I need to book an appointment for Tuesday."]);
    paged.push({ id, at });
  }

  // Another organization that said the same words.
  const otherOrg = await createOrg("global");
  const otherPeople = await people(otherOrg, ["owner"]);
  const otherCall = await makeCall(otherOrg, otherPeople.owner.userId, { at: "2026-01-10T10:00:00Z", to: "+14155550123", transcribe: true });
  await transcript(otherOrg, otherCall, "en", ["I would like a refund for my order."]);
  other = { orgId: otherOrg, owner: otherPeople.owner.browser, callId: otherCall };

  // An organization on pro: transcripts yes, translations no (global).
  const proOrg = await createOrg("pro");
  const proPeople = await people(proOrg, ["owner", "operator"]);
  const proCall = await makeCall(proOrg, proPeople.owner.userId, { at: "2026-01-10T10:00:00Z", transcribe: true });
  await transcript(proOrg, proCall, "en", ["Nothing about fruit here."]);
  await translation(proOrg, proCall, "es", "Una conversación sobre kumquat.");
  pro = { orgId: proOrg, operator: proPeople.operator.browser, operatorId: proPeople.operator.userId, callId: proCall };
}, 120_000);

// ---- helpers ------------------------------------------------------------------------------------

async function search(role: Role, query: string, org = orgId, browser = p[role]?.browser): Promise<Answer> {
  return call(browser!, list.GET, { path: `/api/calls?${query}`, orgId: org });
}

async function ids(role: Role, query: string): Promise<string[]> {
  const res = await search(role, `limit=200&${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return callListResponseSchema.parse(res.body).calls.map((x) => x.id);
}

const set = (...xs: string[]) => new Set(xs);

// ---- filters ------------------------------------------------------------------------------------

describe("filters on the call row", () => {
  it("status is any of the listed statuses", async () => {
    expect(set(...(await ids("operator", "status=failed,busy")))).toEqual(set(c.failed, c.busy));
    expect(await ids("viewer", "status=busy")).toEqual([c.busy]);
  });

  it("flow", async () => {
    expect(await ids("operator", "flow=bridge")).toEqual([c.failed]);
  });

  it("a bare `to` date runs through the end of that day (UTC); `from` is inclusive", async () => {
    expect(await ids("operator", "from=2026-01-13&to=2026-01-13")).toEqual([c.failed]);
    expect(await ids("operator", "from=2026-01-12T10:00:00Z&to=2026-01-14")).toEqual([c.busy, c.failed, c.redacted]);
    expect(await ids("operator", "to=2026-01-12T09:59:59Z&from=2026-01-10")).toEqual([c.es, c.refundEn]);
  });

  it("`from` after `to` is 422 with a message that says so, and the same day is fine", async () => {
    const res = await search("operator", "from=2026-01-14&to=2026-01-13");
    expect(res.status).toBe(422);
    expect(res.body.error?.message).toMatch(/`from` .* is after `to`/);
    expect((await search("operator", "from=2026-01-13T12:00:00Z&to=2026-01-13T11:00:00Z")).status).toBe(422);
  });

  it("the shopper script and the survey a call ran", async () => {
    expect(set(...(await ids("operator", `script=${script.id}`)))).toEqual(set(c.refundEn, c.redacted, c.superseded));
    expect(await ids("viewer", `survey=${survey.id}`)).toEqual([c.redacted]);
    expect(await ids("operator", `script=${randomUUID()}`)).toEqual([]);
  });
});

describe("filters on what calls stored", () => {
  it("has=recording: a stored recording", async () => {
    expect(set(...(await ids("operator", "has=recording")))).toEqual(set(c.refundEn, c.es, c.redacted));
  });

  it("has=transcript: a current transcript the caller reads; has=translation: any translation", async () => {
    const transcribed = await ids("operator", "has=transcript");
    expect(transcribed).toHaveLength(4 + paged.length);
    expect(transcribed).toContain(c.redacted); // its redacted transcript
    expect(set(...(await ids("operator", "has=translation")))).toEqual(set(c.refundEn, c.es));
    expect(set(...(await ids("operator", "has=recording,translation&status=completed")))).toEqual(set(c.refundEn, c.es));
  });

  it("scoreMin / scoreMax: the current score only, in percent", async () => {
    expect(set(...(await ids("analyst", "scoreMin=80")))).toEqual(set(c.refundEn, c.superseded));
    expect(await ids("analyst", "scoreMin=30&scoreMax=50")).toEqual([c.redacted]);
    // The superseded score (20%) of c.superseded no longer counts.
    expect(await ids("analyst", "scoreMax=30")).toEqual([]);
    expect(await ids("analyst", "scoreMin=90&scoreMax=90")).toEqual([c.refundEn]);
  });

  it("scoreMin above scoreMax is 422; out of range is 400", async () => {
    const res = await search("analyst", "scoreMin=60&scoreMax=50");
    expect(res.status).toBe(422);
    expect(res.body.error?.message).toMatch(/scoreMin/);
    expect((await search("analyst", "scoreMin=101")).status).toBe(400);
  });

  it("content filters need the content's read permission: 403 for a viewer, and for translations on a plan without them", async () => {
    for (const query of ["has=transcript", "has=recording", "has=translation", "scoreMin=10", "scoreMax=90"]) {
      const res = await search("viewer", query);
      expect(res.status, query).toBe(403);
    }
    const res = await search("operator", "has=translation", pro.orgId, pro.operator);
    expect(res.status).toBe(403);
    expect(res.body.error?.message).toMatch(/translation/i);
  });
});

describe("criterion and answer: what a current score judged, what a survey answer was", () => {
  // An organization of their own, so the other filters' calls stay as they are.
  let crit: { orgId: string; people: People; failing: string; passing: string; keyed: string; spokenThree: string; missed: string };

  async function scoreWith(org: string, callId: string, transcriptId: string, s: ShopperScript, outcomes: Record<string, string>): Promise<void> {
    const criteria = Object.entries(outcomes).map(([criterionId, outcome]) => ({ criterionId, label: criterionId, kind: "phrase_present", weight: 1, outcome, evidence: null, reason: "test", rubric: { id: s.id, version: s.version } }));
    await asService((tx) => storeScoreArtifact(tx, {
      orgId: org, callId, provenance: provenance(),
      body: { rubric: { id: s.id, version: s.version }, calledPartySpeaker: "B", score: 0.5, passedWeight: 1, decidedWeight: 2, counts: { pass: 1, fail: 1, no_evidence: 0 }, criteria },
      inputs: { transcript: { id: transcriptId, sha256: "b".repeat(64) }, rubric: { scriptId: s.id, version: s.version, sha256: s.sha256 } },
    }));
  }

  async function answerWith(org: string, callId: string, s: Survey, questionId: string, source: "keypad" | "speech" | "none", answer: string): Promise<void> {
    await asService((tx) => tx`
      insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, survey_sha256, question_index, question_id, source, answer,
                                         attempts, provider, received_at, answered_at, sha256)
      values (${org}, ${callId}, ${s.id}, ${s.version}, ${s.sha256}, 0, ${questionId}, ${source}, ${answer}, 1, 'signalwire', now(), now(), ${"c".repeat(64)})`);
  }

  beforeAll(async () => {
    const org = await createOrg("insights");
    const who = await people(org, ["owner", "operator", "analyst", "viewer"]);
    const by = who.owner.userId;
    const s = await publishScript(org, by, scriptDraft(["Hello, I would like an appointment."]));
    const v = await publishSurvey(org, by, surveyDraft({ questions: [{ id: "q1", prompt: "Would you come back?", keypad: { min: 0, max: 9 }, speech: true }] }));
    // Greeted in its first score, not in its current one: only the current one counts.
    const failing = await makeCall(org, by, { at: "2026-02-01T10:00:00Z", transcribe: true, script: s });
    await scoreWith(org, failing, await transcript(org, failing, "en", ["Hi."]), s, { greets: "pass", offers: "fail" });
    await scoreWith(org, failing, await transcript(org, failing, "en", ["Hmm."]), s, { greets: "fail", offers: "fail" });
    const passing = await makeCall(org, by, { at: "2026-02-02T10:00:00Z", transcribe: true, script: s });
    await scoreWith(org, passing, await transcript(org, passing, "en", ["Good morning."]), s, { greets: "pass", "offers:weekday": "no_evidence" });
    const keyed = await makeCall(org, by, { at: "2026-02-03T10:00:00Z", survey: v });
    await answerWith(org, keyed, v, "q1", "keypad", "3");
    const spokenThree = await makeCall(org, by, { at: "2026-02-04T10:00:00Z", survey: v });
    await answerWith(org, spokenThree, v, "q1", "speech", "3");
    const missed = await makeCall(org, by, { at: "2026-02-05T10:00:00Z", survey: v });
    await answerWith(org, missed, v, "q1", "none", "invalid");
    crit = { orgId: org, people: who, failing, passing, keyed, spokenThree, missed };
  }, 60_000);

  const found = async (role: Role, query: string) => {
    const res = await search(role, `limit=200&${query}`, crit.orgId, crit.people[role].browser);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return callListResponseSchema.parse(res.body).calls.map((x) => x.id);
  };

  it("criterion=<id>:<outcome> matches the current score's judgement only; an id may hold a colon", async () => {
    expect(await found("analyst", "criterion=greets:fail")).toEqual([crit.failing]);
    expect(await found("operator", "criterion=greets:pass")).toEqual([crit.passing]);
    expect(await found("analyst", "criterion=offers:fail")).toEqual([crit.failing]);
    expect(await found("analyst", "criterion=offers:weekday:no_evidence")).toEqual([crit.passing]);
    expect(await found("analyst", "criterion=offers:pass")).toEqual([]);
  });

  it("answer=<question>:<value> tells a keyed digit from the same words spoken, and a miss", async () => {
    expect(await found("analyst", "answer=q1:3")).toEqual([crit.keyed]);
    expect(await found("analyst", "answer=q1:speech")).toEqual([crit.spokenThree]);
    expect(await found("analyst", "answer=q1:invalid")).toEqual([crit.missed]);
    expect(await found("analyst", "answer=q2:3")).toEqual([]);
  });

  it("needs survey.read (403 for a viewer, and on a plan without surveys); malformed is 400; another organization's calls never match", async () => {
    for (const query of ["criterion=greets:fail", "answer=q1:3"]) {
      const viewer = await search("viewer", query, crit.orgId, crit.people.viewer.browser);
      expect(viewer.status, query).toBe(403);
      expect(viewer.body.error?.message).toMatch(/owner, admin, operator or analyst/);
      expect((await search("operator", query, pro.orgId, pro.operator)).status, query).toBe(403);
    }
    for (const query of ["criterion=greets", "criterion=greets:maybe", `criterion=${"x".repeat(101)}:fail`, "answer=q1:10", "answer=q%201:3", "answer=q1"]) {
      expect((await search("analyst", query, crit.orgId, crit.people.analyst.browser)).status, query).toBe(400);
    }
    expect(await ids("analyst", "criterion=greets:fail")).toEqual([]);
    expect(await ids("analyst", "answer=q1:3")).toEqual([]);
  });
});

describe("tag: calls to the saved targets carrying a tag", () => {
  let tagged: { orgId: string; people: People; west: string[]; east: string; untargeted: string };

  beforeAll(async () => {
    const org = await createOrg("base");
    const who = await people(org, ["owner", "operator", "viewer"]);
    const by = who.owner.userId;
    await savedTarget(org, by, { number: "+14155550301", timeZone: "America/Los_Angeles", tags: ["west", "front desk"] });
    await savedTarget(org, by, { number: "+14155550302", timeZone: "America/Los_Angeles", tags: ["west"] });
    await savedTarget(org, by, { number: "+12125550303", timeZone: "America/New_York", tags: ["east"] });
    const west = [
      await makeCall(org, by, { at: "2026-03-01T10:00:00Z", to: "+14155550301" }),
      await makeCall(org, by, { at: "2026-03-02T10:00:00Z", to: "+14155550302", status: "busy" }),
      await makeCall(org, by, { at: "2026-03-03T10:00:00Z", to: "+14155550301" }),
    ];
    const east = await makeCall(org, by, { at: "2026-03-04T10:00:00Z", to: "+12125550303" });
    const untargeted = await makeCall(org, by, { at: "2026-03-05T10:00:00Z", to: "+14155550399" });
    // Another organization tags the untargeted number "west": its targets say nothing about these calls.
    const other = await createOrg("base");
    await savedTarget(other, (await people(other, ["owner"])).owner.userId, { number: "+14155550399", timeZone: "America/Los_Angeles", tags: ["west"] });
    tagged = { orgId: org, people: who, west: west.reverse(), east, untargeted };
  }, 60_000);

  const found = async (role: Role, query: string) => {
    const res = await search(role, `limit=200&${query}`, tagged.orgId, tagged.people[role].browser);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return callListResponseSchema.parse(res.body).calls.map((x) => x.id);
  };

  it("matches the calls whose number is a target carrying the tag, for every role (tags are not content), newest first", async () => {
    for (const role of ["owner", "operator", "viewer"] as const) expect(await found(role, "tag=west"), role).toEqual(tagged.west);
    expect(await found("operator", "tag=east")).toEqual([tagged.east]);
    expect(await found("operator", "tag=front%20desk")).toEqual([tagged.west[0], tagged.west[2]]);
    expect(await found("operator", "tag=north")).toEqual([]);
  });

  it("reads the tag as targets store it (trimmed, spaces collapsed, lower case) and combines with the other filters", async () => {
    expect(await found("operator", "tag=%20Front%20%20Desk%20")).toEqual([tagged.west[0], tagged.west[2]]);
    expect(await found("operator", "tag=west&status=busy")).toEqual([tagged.west[1]]);
    expect(await found("operator", "tag=west&from=2026-03-03")).toEqual([tagged.west[0]]);
    // The first page of one, then the rest: the walk continues where it stopped.
    const first = await search("operator", "limit=1&tag=west", tagged.orgId, tagged.people.operator.browser);
    const page = callListResponseSchema.parse(first.body);
    expect(page.calls.map((x) => x.id)).toEqual([tagged.west[0]]);
    expect(await found("operator", `tag=west&before=${encodeURIComponent(page.nextBefore!)}`)).toEqual(tagged.west.slice(1));
  });

  it("refuses an empty, overlong or NUL tag (400) and never matches another organization's calls", async () => {
    for (const query of ["tag=", "tag=%20%20", `tag=${"x".repeat(51)}`, "tag=we%00st"]) {
      expect((await search("operator", query, tagged.orgId, tagged.people.operator.browser)).status, query).toBe(400);
    }
    expect(await ids("operator", "tag=west")).toEqual([]);
  });
});

describe("number", () => {
  it("members who see numbers find a whole number, typed in any punctuation, by its keyed hash", async () => {
    expect(await ids("operator", "number=14155550123")).toEqual([c.refundEn]);
    expect(await ids("operator", "number=%2B1%20(415)%20555-0123")).toEqual([c.refundEn]);
    expect(await ids("operator", "number=%2B44%20207%20123%204567")).toEqual([c.failed]);
    // From numbers too: every call here is from +15550100000.
    expect(await ids("operator", "number=15550100000")).toEqual(expect.arrayContaining([c.refundEn, c.failed, c.redacted]));
  });

  it("a part of a number matches only what the mask shows, for members too: sealed digits cannot be searched in part", async () => {
    expect(await ids("operator", "number=415555")).toEqual([]);
    expect(await ids("operator", "number=5550123")).toEqual([]);
    expect(await ids("operator", "number=23")).toEqual([c.refundEn]);
  });

  it("a viewer matches only what the masked number shows: the hidden digits find nothing, a whole number neither", async () => {
    // +14155550123 shows as +1••••••••23 to a viewer.
    expect(await ids("viewer", "number=14155550123")).toEqual([]);
    expect(await ids("viewer", "number=5550123")).toEqual([]);
    expect(await ids("viewer", "number=555")).toEqual([]);
    expect(await ids("viewer", "number=1555")).toEqual([]);
    expect(await ids("viewer", "number=23")).toEqual([c.refundEn]);
    expect(await ids("viewer", "number=44")).toEqual([c.failed]);
    // What the viewer is shown agrees with what they matched.
    const res = callListResponseSchema.parse((await search("viewer", "number=23")).body);
    expect(res.calls[0]!.to).toBe(maskNumber("+14155550123"));
    expect(res.calls[0]!.to).toMatch(/^\+1•+23$/);
  });

  it("anything but digits and phone punctuation is 400", async () => {
    expect((await search("operator", "number=12a4")).status).toBe(400);
    expect((await search("operator", `number=${"1".repeat(33)}`)).status).toBe(400);
  });
});

// ---- full-text search ---------------------------------------------------------------------------

describe("q: full-text search", () => {
  it("stems English: `refunds` finds a transcript that says `refund`, and a translation that says `refunds`", async () => {
    const res = await search("operator", "q=refunds");
    expect(res.status).toBe(200);
    const body = callListResponseSchema.parse(res.body);
    expect(set(...body.calls.map((x) => x.id))).toEqual(set(c.refundEn, c.es));
    const en = body.calls.find((x) => x.id === c.refundEn)!;
    expect(en.match).toMatchObject({ source: "transcript", language: "en" });
    expect(en.match!.fragments.filter((f) => f.hit).map((f) => f.text)).toEqual(["refund"]);
    expect(en.match!.fragments.map((f) => f.text).join("")).toContain("I would like a refund for my order");
    const es = body.calls.find((x) => x.id === c.es)!;
    expect(es.match).toMatchObject({ source: "translation", language: "en" });
  });

  it("stems Spanish: `reembolso` finds `reembolsos` in a Spanish transcript and `reembolso` in a translation", async () => {
    const body = callListResponseSchema.parse((await search("operator", "q=reembolso")).body);
    expect(set(...body.calls.map((x) => x.id))).toEqual(set(c.refundEn, c.es));
    const es = body.calls.find((x) => x.id === c.es)!;
    expect(es.match).toMatchObject({ source: "transcript", language: "es" });
    expect(es.match!.fragments.filter((f) => f.hit).map((f) => f.text)).toEqual(["reembolsos"]);
  });

  it("fragments are plain text, never HTML, and short", async () => {
    const body = callListResponseSchema.parse((await search("owner", "q=appointment&limit=3")).body);
    for (const row of body.calls) {
      const text = row.match!.fragments.map((f) => f.text).join("");
      expect(text).not.toMatch(/<\/?b>|[\u0002\u0003]/);
      expect(text.split(/\s+/).length).toBeLessThanOrEqual(45);
    }
  });

  it("only current artifacts count", async () => {
    expect(await ids("owner", "q=pineapple")).toEqual([]);
    expect(await ids("owner", "q=mango")).toEqual([c.superseded]);
  });

  it("a redacted name is found by nobody by default; owners and admins find it in the original when they ask", async () => {
    expect(await ids("operator", "q=Zebediah")).toEqual([]);
    expect(await ids("analyst", "q=Zebediah")).toEqual([]);
    expect(await ids("owner", "q=Zebediah")).toEqual([]);
    expect(await ids("owner", "q=Zebediah&original=1")).toEqual([c.redacted]);
    expect(await ids("admin", "q=quixote&original=1")).toEqual([c.redacted]);
    expect((await search("operator", "q=Zebediah&original=1")).status).toBe(403);
    // What the redacted transcript says is found by everyone who reads it.
    expect(await ids("operator", "q=front desk")).toEqual([c.redacted]);
  });

  it("translations only with translation.read: on pro an operator's search never reads them", async () => {
    const res = await search("operator", "q=kumquat", pro.orgId, pro.operator);
    expect(res.status).toBe(200);
    expect(callListResponseSchema.parse(res.body).calls).toEqual([]);
    const mine = await search("operator", "q=fruit", pro.orgId, pro.operator);
    expect(callListResponseSchema.parse(mine.body).calls.map((x) => x.id)).toEqual([pro.callId]);
  });

  it("a viewer's q is 403, naming the roles that may search what calls said", async () => {
    const res = await search("viewer", "q=refund");
    expect(res.status).toBe(403);
    expect(res.body.error?.message).toMatch(/owner, admin, operator or analyst/);
  });

  it("another organization's calls never match; its own members find only theirs", async () => {
    expect(await ids("owner", "q=refund")).not.toContain(other.callId);
    const theirs = await search("owner", "q=refund", other.orgId, other.owner);
    expect(callListResponseSchema.parse(theirs.body).calls.map((x) => x.id)).toEqual([other.callId]);
    // Naming an organization one does not belong to is 404.
    expect((await search("owner", "q=refund", other.orgId)).status).toBe(404);
  });

  it("combines with the other filters", async () => {
    expect(await ids("operator", "q=refund&has=translation&number=14155550123&status=completed&flow=direct&from=2026-01-10&to=2026-01-10")).toEqual([c.refundEn]);
    expect(await ids("analyst", `q=refund&scoreMin=50&script=${script.id}`)).toEqual([c.refundEn]);
    expect(await ids("operator", "q=refund&status=failed")).toEqual([]);
  });

  it("oversized or empty-looking q: 400 over 200 characters; an empty q is no filter", async () => {
    expect((await search("operator", `q=${"a".repeat(201)}`)).status).toBe(400);
    expect(await ids("operator", "q=")).toHaveLength(6 + paged.length);
    expect(await ids("operator", "q=!!!")).toEqual([]);
  });
});

// ---- pages ----------------------------------------------------------------------------------------

describe("keyset pages under filters", () => {
  const expected = () => paged.filter((_, i) => i % 4 !== 0)
    .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : Date.parse(b.at) - Date.parse(a.at)))
    .map((x) => x.id);

  it("walks every matching call once, in order, with no gaps, across pages of 7", async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await search("operator", `q=appointment&status=completed&limit=7${before ? `&before=${before}` : ""}`);
      expect(res.status).toBe(200);
      const body: CallListResponse = callListResponseSchema.parse(res.body);
      seen.push(...body.calls.map((x) => x.id));
      before = body.nextBefore;
      if (!before) break;
    }
    expect(before).toBeNull();
    expect(seen).toEqual(expected());
  });

  it("listCallIds (the bulk export's walk) yields the same ids in the same order", async () => {
    const member = { role: "operator" as const, plan: "global" as const };
    const walked: string[] = [];
    let before: string | undefined;
    do {
      const page: { ids: string[]; nextBefore: string | null } = await withUser(claimsFor(p.operator.userId), (tx: Tx) =>
        listCallIds(tx, { orgId, filter: { q: "appointment", status: ["completed"] }, view: viewFor(member), before, limit: 4 }));
      walked.push(...page.ids);
      before = page.nextBefore ?? undefined;
    } while (before);
    expect(walked).toEqual(expected());
  });

  it("a cursor this API did not give out is 400", async () => {
    expect((await search("operator", "q=appointment&before=bm90LWEtY3Vyc29y")).status).toBe(400);
    expect((await search("operator", "limit=0")).status).toBe(400);
    expect((await search("operator", "status=ringing,exploded")).status).toBe(400);
    expect((await search("operator", "script=not-a-uuid")).status).toBe(400);
  });
});

// ---- the functions that bypass RLS for their indexes -------------------------------------------------

describe("the search functions apply the policies' rules themselves", () => {
  const textIds = (userId: string, org: string, q: string, original = false) =>
    withUser(claimsFor(userId), async (tx: Tx) =>
      (await tx<{ id: string }[]>`select private.text_search_call_ids(${org}, ${q}, ${original}) as id`).map((r) => r.id));
  it("nothing in an organization the caller does not belong to, or where their role may not read transcripts", async () => {
    expect(await textIds(p.owner.userId, other.orgId, "refund")).toEqual([]);
    expect(await textIds(p.viewer.userId, orgId, "refund")).toEqual([]);
    expect(set(...(await textIds(p.operator.userId, orgId, "refund")))).toEqual(set(c.refundEn, c.es));
  });

  it("the restricted original only for owners and admins who ask; translations only with translation.read", async () => {
    expect(await textIds(p.operator.userId, orgId, "Zebediah", true)).toEqual([]);
    expect(await textIds(p.owner.userId, orgId, "Zebediah", false)).toEqual([]);
    expect(await textIds(p.owner.userId, orgId, "Zebediah", true)).toEqual([c.redacted]);
    expect(await textIds(pro.operatorId, pro.orgId, "kumquat")).toEqual([]);
    expect(await textIds(pro.operatorId, pro.orgId, "fruit")).toEqual([pro.callId]);
    expect(await textIds(p.operator.userId, orgId, "reembolso")).toContain(c.refundEn); // its translation, on global
  });

});

// ---- highlights -----------------------------------------------------------------------------------

describe("GET /api/calls/:id/highlights", () => {
  const hl = (role: Role, id: string, query: string, org = orgId, browser = p[role]?.browser) =>
    call<{ id: string }>(browser!, highlights.GET, { path: `/api/calls/${id}/highlights?${query}`, orgId: org, params: { id } });

  it("marks the matching utterances by index and each readable translation", async () => {
    const res = await hl("operator", c.refundEn, "q=refunds");
    expect(res.status).toBe(200);
    const body = callHighlightsResponseSchema.parse(res.body);
    expect(body.utterances.map((u) => u.index)).toEqual([1]);
    expect(body.utterances[0]!.fragments).toEqual([
      { text: "I would like a ", hit: false }, { text: "refund", hit: true }, { text: " for my order.", hit: false },
    ]);
    // The Spanish translation does not say it in Spanish: listed, with no fragments.
    expect(body.translations).toEqual([{ language: "es", fragments: [] }]);

    const es = callHighlightsResponseSchema.parse((await hl("operator", c.refundEn, "q=reembolso")).body);
    expect(es.utterances).toEqual([]);
    expect(es.translations[0]!.fragments.filter((f) => f.hit).map((f) => f.text)).toEqual(["reembolso"]);
    expect(es.translations[0]!.fragments.map((f) => f.text).join("")).toBe("Buenos días, ¿en qué puedo ayudarle? Quisiera un reembolso de mi pedido.");
  });

  it("when no utterance holds the whole query, marks those that hold any of its words", async () => {
    const body = callHighlightsResponseSchema.parse((await hl("operator", c.refundEn, "q=morning refunds")).body);
    expect(body.utterances.map((u) => u.index)).toEqual([0, 1]);
    expect(body.utterances.map((u) => u.fragments.filter((f) => f.hit).map((f) => f.text))).toEqual([["morning"], ["refund"]]);
    // The list found the call: its transcript holds both words.
    expect(await ids("operator", "q=morning refunds")).toEqual([c.refundEn]);
  });

  it("reads the redacted transcript unless an owner or admin asks for the original", async () => {
    expect(callHighlightsResponseSchema.parse((await hl("operator", c.redacted, "q=Zebediah")).body).utterances).toEqual([]);
    expect(callHighlightsResponseSchema.parse((await hl("owner", c.redacted, "q=Zebediah")).body).utterances).toEqual([]);
    const original = callHighlightsResponseSchema.parse((await hl("owner", c.redacted, "q=Zebediah&original=1")).body);
    expect(original.utterances.map((u) => u.index)).toEqual([1]);
    expect((await hl("operator", c.redacted, "q=Zebediah&original=1")).status).toBe(403);
  });

  it("translations only with translation.read (none on pro)", async () => {
    const res = await hl("operator", pro.callId, "q=kumquat", pro.orgId, pro.operator);
    expect(res.status).toBe(200);
    expect(callHighlightsResponseSchema.parse(res.body)).toEqual({ utterances: [], translations: [] });
  });

  it("403 for a viewer; 404 for another organization's call or a malformed id; 400 without q or with an oversized one", async () => {
    const viewer = await hl("viewer", c.refundEn, "q=refund");
    expect(viewer.status).toBe(403);
    expect(viewer.body.error?.message).toMatch(/owner, admin, operator or analyst/);
    expect((await hl("owner", other.callId, "q=refund")).status).toBe(404);
    expect((await hl("owner", "not-a-uuid", "q=refund")).status).toBe(404);
    expect((await hl("owner", randomUUID(), "q=refund")).status).toBe(404);
    expect((await hl("owner", c.refundEn, "")).status).toBe(400);
    expect((await hl("owner", c.refundEn, "q=%20%20")).status).toBe(400);
    expect((await hl("owner", c.refundEn, `q=${"x".repeat(201)}`)).status).toBe(400);
  });
});
