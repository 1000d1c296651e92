import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { callListResponseSchema } from "@/lib/calls/contracts";
import { asService } from "@/lib/db";
import { numberHash } from "@/lib/pii/numbers";
import { storeArtifact, storeScoreArtifact } from "@/lib/intelligence/artifacts";
import { scriptInsightsSchema, surveyInsightsSchema, type ScriptInsights, type SurveyInsights } from "@/lib/insights/contracts";
import type { ShopperScript, Survey } from "@/lib/surveys/documents";
import type { Role } from "@/lib/rbac/policy";
import { savedTarget } from "@/tests/support/campaigns";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser, type Answer, type Browser } from "@/tests/support/member-requests";
import { keypad, publishScript, publishSurvey, scriptDraft, spoken, surveyDraft } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Insights (GET /api/insights/scripts/:id, /surveys/:id) through the real route handlers, as the
 * member, against the migrated database with RLS. A fixture of calls in every state (answered or
 * not, recorded, transcribed, redacted, scored, re-scored, scored with nothing decided), on both
 * sides of the range's edges and of a week's, and survey answers of every kind. Every number the
 * API returns is compared with SQL written here another way (date_bin, jsonb_path_query,
 * left joins against newer rows), and every URL it returns is run through the call list and must
 * list exactly as many calls as the number beside it.
 */
const scriptRoute = await import("@/app/api/insights/scripts/[id]/route");
const surveyRoute = await import("@/app/api/insights/surveys/[id]/route");
const list = await import("@/app/api/calls/route");

type People = Record<Role, { userId: string; browser: Browser }>;

async function people(orgId: string, roles: readonly Role[]): Promise<People> {
  const out = {} as People;
  for (const role of roles) {
    const person = await signedInUser();
    await addMembership(orgId, person.userId, role);
    out[role] = person;
  }
  return out;
}

let seq = 0;
async function makeCall(orgId: string, by: string, spec: { at: string; status?: string; to?: string; script?: ShopperScript | null; survey?: Survey | null }): Promise<string> {
  seq += 1;
  const to = spec.to ?? "+14155550199";
  const [row] = await asService(async (tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, to_number_hash, status, idempotency_key, modulations, plan_tier, created_at, updated_at)
    values (${orgId}, ${by}, 'direct', '+15550100000', ${to}, ${await numberHash(orgId, to)}, ${spec.status ?? "completed"}, ${`insights-${seq}-${randomUUID()}`},
            ${tx.json({
              flow: "direct", from: "+15550100000", to, operatorPhone: null, record: true, transcribe: true, translate: null,
              redact: false, disclosure: "This call is recorded.", survey: spec.survey ?? null, shopperScript: spec.script ?? null, configVersion: 1,
            } as never)}, 'global', ${spec.at}::text::timestamptz, ${spec.at}::text::timestamptz)
    returning id`);
  return row!.id;
}

async function recording(orgId: string, callId: string, status: "stored" | "absent" = "stored"): Promise<void> {
  await asService((tx) => status === "stored"
    ? tx`insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type)
         values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${`test/${callId}.wav`}, ${"a".repeat(64)}, 1000, 10, 2, 'audio/wav')`
    : tx`insert into public.recordings (organization_id, call_id, provider_recording_sid, status)
         values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'absent')`);
}

const provenance = () => ({ vendor: "test", models: ["test"], producedAt: new Date().toISOString() });

async function transcript(orgId: string, callId: string, extra: { kind?: "transcript" | "redacted_transcript"; restricted?: boolean } = {}): Promise<string> {
  return (await asService((tx) => storeArtifact(tx, {
    orgId, callId, kind: extra.kind ?? "transcript", language: "en",
    body: { transcript_id: randomUUID(), language_code: "en", text: "Hello.", utterances: [{ speaker: "B", start: 0, end: 900, text: "Hello." }], words: [] },
    provenance: provenance(), inputs: {}, restricted: extra.restricted ?? false,
  })))!;
}

type Outcome = "pass" | "fail" | "no_evidence";
const LABELS: Record<string, string> = { greets: "Greets the caller", offers: "Offers an appointment", legacy: "A criterion of an older rubric" };

async function score(orgId: string, callId: string, transcriptId: string, script: ShopperScript, value: number | null, outcomes: Record<string, Outcome>): Promise<void> {
  const criteria = Object.entries(outcomes).map(([criterionId, outcome]) => ({
    criterionId, label: LABELS[criterionId], kind: "phrase_present", weight: 1, outcome, evidence: null, reason: "fixture", rubric: { id: script.id, version: script.version },
  }));
  const counts = { pass: 0, fail: 0, no_evidence: 0 };
  for (const c of criteria) counts[c.outcome] += 1;
  await asService((tx) => storeScoreArtifact(tx, {
    orgId, callId, provenance: provenance(),
    body: { rubric: { id: script.id, version: script.version }, calledPartySpeaker: "B", score: value, passedWeight: 0, decidedWeight: 0, counts, criteria },
    inputs: { transcript: { id: transcriptId, sha256: "b".repeat(64) }, rubric: { scriptId: script.id, version: script.version, sha256: script.sha256 } },
  }));
}

/** A fully processed shopper call: recorded, transcribed, scored. */
async function scoredCall(orgId: string, by: string, script: ShopperScript, at: string, to: string, value: number | null, outcomes: Record<string, Outcome>): Promise<string> {
  const id = await makeCall(orgId, by, { at, to, script });
  await recording(orgId, id);
  await score(orgId, id, await transcript(orgId, id), script, value, outcomes);
  return id;
}

async function answer(orgId: string, callId: string, survey: Survey, index: number, questionId: string, value: { digit: string } | { speech: string } | "invalid"): Promise<void> {
  const source = value === "invalid" ? "none" : "digit" in value ? "keypad" : "speech";
  const text = value === "invalid" ? "invalid" : "digit" in value ? value.digit : value.speech;
  await asService((tx) => tx`
    insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, survey_sha256, question_index, question_id, source, answer,
                                       digits, attempts, provider, received_at, answered_at, sha256)
    values (${orgId}, ${callId}, ${survey.id}, ${survey.version}, ${survey.sha256}, ${index}, ${questionId}, ${source}, ${text},
            ${source === "keypad" ? text : null}, 1, 'signalwire', now(), now(), ${"c".repeat(64)})`);
}

// ---- the fixture --------------------------------------------------------------------------------

let orgId: string;
let p: People;
let script: ShopperScript;
let otherScript: ShopperScript;
let survey: Survey;
let foreign: { orgId: string; owner: Browser; scriptId: string; surveyId: string };
let proOwner: { orgId: string; browser: Browser; scriptId: string };
let campaignId: string;
const RANGE = "from=2026-11-04&to=2026-11-22";

beforeAll(async () => {
  orgId = await createOrg("global");
  p = await people(orgId, ["owner", "admin", "operator", "analyst", "viewer"]);
  const by = p.owner.userId;
  script = await publishScript(orgId, by, scriptDraft(["Hello, I would like an appointment."]));
  otherScript = await publishScript(orgId, by, scriptDraft(["Hello."], { title: "Another script" }));

  // Inside the range (Wednesday 4 November to Sunday 22 November 2026; weeks start on Mondays 2, 9 and 16).
  await scoredCall(orgId, by, script, "2026-11-04T00:00:00Z", "+14155550101", 1, { greets: "pass", offers: "pass" });
  await scoredCall(orgId, by, script, "2026-11-05T12:00:00Z", "+14155550101", 0.5, { greets: "pass", offers: "fail" });
  await scoredCall(orgId, by, script, "2026-11-08T23:59:59Z", "+14155550102", 0.25, { greets: "fail", offers: "pass" }); // Sunday: week of the 2nd
  // Redacting: the original is restricted, the redacted transcript is what members read.
  const redacted = await makeCall(orgId, by, { at: "2026-11-09T00:00:00Z", to: "+14155550102", script });
  await recording(orgId, redacted);
  await transcript(orgId, redacted, { restricted: true });
  await score(orgId, redacted, await transcript(orgId, redacted, { kind: "redacted_transcript" }), script, 0, { greets: "fail", offers: "fail" });
  // Re-scored: the older score (with a criterion the script no longer has) is superseded.
  const rescored = await makeCall(orgId, by, { at: "2026-11-10T09:00:00Z", to: "+14155550103", script });
  await recording(orgId, rescored);
  const t = await transcript(orgId, rescored);
  await score(orgId, rescored, t, script, 0.1, { greets: "fail", offers: "fail", legacy: "fail" });
  await score(orgId, rescored, await transcript(orgId, rescored), script, 0.75, { greets: "pass", offers: "no_evidence" });
  // Scored with nothing decided: a score, but no number.
  await scoredCall(orgId, by, script, "2026-11-16T08:00:00Z", "+14155550104", null, { greets: "no_evidence", offers: "no_evidence" });
  // Recorded, not transcribed; answered, not recorded (absent); not answered; still on the line.
  const untranscribed = await makeCall(orgId, by, { at: "2026-11-17T08:00:00Z", script });
  await recording(orgId, untranscribed);
  const absent = await makeCall(orgId, by, { at: "2026-11-18T08:00:00Z", script });
  await recording(orgId, absent, "absent");
  await makeCall(orgId, by, { at: "2026-11-19T08:00:00Z", status: "busy", script });
  await makeCall(orgId, by, { at: "2026-11-20T08:00:00Z", status: "no_answer", script });
  await makeCall(orgId, by, { at: "2026-11-22T23:59:59.999Z", status: "in_progress", script });
  // Outside the range, another script, no script: none of these count.
  await scoredCall(orgId, by, script, "2026-11-03T23:59:59.999Z", "+14155550101", 0.9, { greets: "pass", offers: "pass" });
  await scoredCall(orgId, by, script, "2026-11-23T00:00:00Z", "+14155550101", 0.9, { greets: "pass", offers: "pass" });
  await scoredCall(orgId, by, otherScript, "2026-11-10T10:00:00Z", "+14155550101", 0.9, { greets: "pass", offers: "pass" });
  await makeCall(orgId, by, { at: "2026-11-10T11:00:00Z" });

  // Saved targets for three of the numbers: a call counts for the target it dialled and under each of its tags.
  await savedTarget(orgId, by, { number: "+14155550101", timeZone: "America/Los_Angeles", tags: ["west", "clinic"], name: "Riverside Clinic" });
  await savedTarget(orgId, by, { number: "+14155550102", timeZone: "America/Los_Angeles", tags: ["west"], name: "Harbor Dental" });
  await savedTarget(orgId, by, { number: "+14155550103", timeZone: "America/New_York", tags: ["east"], name: "Elm Street Practice" });
  // Another organization's target with the same number and a tag of its own counts nowhere here.
  const elsewhere = await createOrg("global");
  await savedTarget(elsewhere, by, { number: "+14155550104", timeZone: "America/New_York", tags: ["west"] });

  // A campaign that placed two of the scored calls (4 and 8 November) and one survey call.
  const [c] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.campaigns (organization_id, name, state, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by, launched_at)
    values (${orgId}, 'November audit', 'completed', '{}', '{"tags": ["west"]}', '{}', '2026-11-01', '2026-11-30', '{}', '{}', ${by}, '2026-11-01')
    returning id`);
  campaignId = c!.id;
  await asService((tx) => tx`update public.calls set campaign_id = ${campaignId} where organization_id = ${orgId}
    and created_at in ('2026-11-04T00:00:00Z', '2026-11-08T23:59:59Z')`);

  // A survey: a keypad question, a spoken one, one that takes both; answers of every kind.
  survey = await publishSurvey(orgId, by, surveyDraft({
    questions: [keypad("q1", "How was it?", 1, 5), spoken("q2", "Anything else?"), { id: "q3", prompt: "Would you come back?", keypad: { min: 0, max: 1 }, speech: true }],
  }));
  const answers: [string, Parameters<typeof answer>[5][] | null][] = [
    ["2026-11-05T10:00:00Z", [{ digit: "5" }, { speech: "Very kind." }, { digit: "1" }]],
    ["2026-11-06T10:00:00Z", [{ digit: "5" }, "invalid", { speech: "yes" }]],
    ["2026-11-07T10:00:00Z", [{ digit: "3" }, { speech: "3" }, { digit: "0" }]], // a spoken "3" is speech, not the digit
    ["2026-11-08T10:00:00Z", ["invalid", "invalid", "invalid"]],
    ["2026-11-09T10:00:00Z", [{ digit: "1" }]],
    ["2026-11-10T10:00:00Z", null], // ran the survey, answered nothing
    ["2026-11-01T10:00:00Z", [{ digit: "2" }, { speech: "outside" }, { digit: "1" }]], // before the range
  ];
  for (const [at, given] of answers) {
    const id = await makeCall(orgId, by, { at, survey });
    for (const [i, value] of (given ?? []).entries()) await answer(orgId, id, survey, i, ["q1", "q2", "q3"][i]!, value);
  }
  // An answer to a question the survey's latest version no longer asks.
  const legacyCall = await makeCall(orgId, by, { at: "2026-11-11T10:00:00Z", survey });
  await answer(orgId, legacyCall, survey, 3, "q0", { digit: "7" });

  // Another organization with its own script, survey and a scored call.
  const otherOrg = await createOrg("global");
  const otherPeople = await people(otherOrg, ["owner"]);
  const foreignScript = await publishScript(otherOrg, otherPeople.owner.userId, scriptDraft(["Hello."]));
  const foreignSurvey = await publishSurvey(otherOrg, otherPeople.owner.userId, surveyDraft({ questions: [keypad("q1", "How was it?")] }));
  await scoredCall(otherOrg, otherPeople.owner.userId, foreignScript, "2026-11-10T10:00:00Z", "+14155550101", 0.5, { greets: "pass", offers: "fail" });
  foreign = { orgId: otherOrg, owner: otherPeople.owner.browser, scriptId: foreignScript.id, surveyId: foreignSurvey.id };

  // An organization on pro: no insights whatever the role.
  const proOrg = await createOrg("pro");
  const proPeople = await people(proOrg, ["owner"]);
  const proScript = await publishScript(proOrg, proPeople.owner.userId, scriptDraft(["Hello."]));
  proOwner = { orgId: proOrg, browser: proPeople.owner.browser, scriptId: proScript.id };
}, 120_000);

// ---- helpers ------------------------------------------------------------------------------------

async function scriptAnswer(role: Role, query: string, id = script.id, org = orgId, browser = p[role].browser): Promise<Answer> {
  return call(browser, scriptRoute.GET, { path: `/api/insights/scripts/${id}?${query}`, orgId: org, params: { id } });
}

async function surveyAnswer(role: Role, query: string, id = survey.id, org = orgId, browser = p[role].browser): Promise<Answer> {
  return call(browser, surveyRoute.GET, { path: `/api/insights/surveys/${id}?${query}`, orgId: org, params: { id } });
}

async function scriptInsights(query: string, role: Role = "analyst"): Promise<ScriptInsights> {
  const res = await scriptAnswer(role, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return scriptInsightsSchema.parse(res.body);
}

/** How many calls the call list shows for a drill-down URL, as the analyst (every page). */
async function listed(url: string): Promise<number> {
  expect(url.startsWith("/?")).toBe(true);
  const res = await call(p.analyst.browser, list.GET, { path: `/api/calls?limit=200&${url.slice(2)}`, orgId });
  expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
  const page = callListResponseSchema.parse(res.body);
  expect(page.nextBefore).toBeNull();
  return page.calls.length;
}

const pct = (fraction: number) => Math.round(fraction * 1000) / 10;

// ---- scripts ------------------------------------------------------------------------------------

describe("a script's insights", () => {
  it("counts the funnel as SQL written apart does, and each stage's URL lists exactly its calls", async () => {
    const insights = await scriptInsights(RANGE);
    const [truth] = await asService((tx) => tx<{ dialled: number; answered: number; recorded: number; transcribed: number; scored: number }[]>`
      select count(distinct c.id)::int as dialled,
             count(distinct c.id) filter (where c.status::text = any ('{in_progress,completed}'))::int as answered,
             count(distinct c.id) filter (where c.status::text = any ('{in_progress,completed}') and r.id is not null)::int as recorded,
             count(distinct c.id) filter (where c.status::text = any ('{in_progress,completed}') and r.id is not null and t.id is not null)::int as transcribed,
             count(distinct c.id) filter (where c.status::text = any ('{in_progress,completed}') and r.id is not null and t.id is not null and s.id is not null)::int as scored
      from public.calls c
      left join public.recordings r on r.call_id = c.id and r.status = 'stored'
      left join (public.call_artifacts t left join public.call_artifacts tn on tn.supersedes = t.id)
        on t.call_id = c.id and tn.id is null and t.kind in ('transcript', 'redacted_transcript') and not (t.kind = 'transcript' and t.restricted)
      left join (public.call_artifacts s left join public.call_artifacts sn on sn.supersedes = s.id)
        on s.call_id = c.id and sn.id is null and s.kind = 'score' and jsonb_typeof(s.body -> 'score') = 'number'
      where c.organization_id = ${orgId} and c.modulations -> 'shopperScript' ->> 'id' = ${script.id}
        and c.created_at between '2026-11-04T00:00:00Z' and '2026-11-22T23:59:59.999999Z'`);
    expect(insights.funnel.map((s) => [s.stage, s.calls])).toEqual(Object.entries(truth!));
    // The fixture has something at every stage, and a loss between every two.
    expect(insights.funnel.map((s) => s.calls)).toEqual([11, 9, 7, 6, 5]);
    for (const stage of insights.funnel) expect(await listed(stage.url), stage.stage).toBe(stage.calls);
  });

  it("buckets the mean score by ISO week and by day as SQL written apart does, each point's URL listing its calls", async () => {
    for (const bucket of ["week", "day"] as const) {
      const insights = await scriptInsights(`${RANGE}&bucket=${bucket}`);
      const truth = await asService((tx) => tx<{ start: string; n: number; total: number }[]>`
        select to_char(date_bin(${bucket === "week" ? "7 days" : "1 day"}::interval, c.created_at, '2026-11-02T00:00:00Z'), 'YYYY-MM-DD') as start,
               count(*)::int as n, sum((s.body ->> 'score')::float8) as total
        from public.calls c
        join public.call_artifacts s on s.call_id = c.id and s.kind = 'score'
        left join public.call_artifacts newer on newer.supersedes = s.id
        where newer.id is null and s.body ->> 'score' is not null
          and c.organization_id = ${orgId} and c.modulations -> 'shopperScript' ->> 'id' = ${script.id}
          and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23'
        group by 1`);
      const byStart = new Map(truth.map((r) => [r.start, r]));
      // Every bucket of the range is there, clipped to it, empty ones with no mean.
      const expectedBuckets = bucket === "week" ? 3 : 19;
      expect(insights.scoreOverTime).toHaveLength(expectedBuckets);
      expect(insights.scoreOverTime[0]!.from).toBe("2026-11-04");
      expect(insights.scoreOverTime.at(-1)!.to).toBe("2026-11-22");
      for (const point of insights.scoreOverTime) {
        const start = bucket === "week" && point.from === "2026-11-04" ? "2026-11-02" : point.from;
        const row = byStart.get(start);
        expect([point.from, point.scoredCalls, point.averageScore]).toEqual([point.from, row?.n ?? 0, row ? pct(row.total / row.n) : null]);
        expect(await listed(point.url), point.url).toBe(point.scoredCalls);
      }
      // Five calls of the range have a number (1, 0.5, 0.25, 0, 0.75): the superseded 0.1 and the null one are not among them.
      expect(insights.scoreOverTime.reduce((n, x) => n + x.scoredCalls, 0)).toBe(5);
      if (bucket === "week") expect(insights.scoreOverTime.map((x) => x.averageScore)).toEqual([58.3, 37.5, null]);
    }
  });

  it("judges each criterion by the current scores as SQL written apart does, each outcome's URL listing its calls", async () => {
    const insights = await scriptInsights(RANGE);
    const truth = await asService((tx) => tx<{ id: string; outcome: "pass" | "fail" | "no_evidence"; n: number }[]>`
      select e ->> 'criterionId' as id, e ->> 'outcome' as outcome, count(*)::int as n
      from public.calls c
      join public.call_artifacts s on s.call_id = c.id and s.kind = 'score'
      cross join lateral jsonb_path_query(s.body, '$.criteria[*]') e
      where not exists (select 1 from public.call_artifacts newer where newer.supersedes = s.id)
        and c.organization_id = ${orgId} and c.modulations -> 'shopperScript' ->> 'id' = ${script.id}
        and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23'
      group by 1, 2`);
    const count = (id: string, outcome: string) => truth.find((r) => r.id === id && r.outcome === outcome)?.n ?? 0;
    // The latest rubric's criteria in its order; the superseded score's `legacy` is nowhere.
    expect(insights.criteria.map((c) => c.criterionId)).toEqual(["greets", "offers"]);
    for (const c of insights.criteria) {
      const counts = { pass: count(c.criterionId, "pass"), fail: count(c.criterionId, "fail"), no_evidence: count(c.criterionId, "no_evidence") };
      expect(c.counts, c.criterionId).toEqual(counts);
      expect(c.passRate).toBe(counts.pass + counts.fail ? pct(counts.pass / (counts.pass + counts.fail)) : null);
      expect(c.label).toBe(LABELS[c.criterionId]);
      expect(c.current).toBe(true);
      for (const outcome of ["pass", "fail", "no_evidence"] as const) expect(await listed(c.urls[outcome]), `${c.criterionId}:${outcome}`).toBe(c.counts[outcome]);
    }
    expect(insights.criteria.map((c) => [c.counts, c.passRate])).toEqual([
      [{ pass: 3, fail: 2, no_evidence: 1 }, 60],
      [{ pass: 2, fail: 2, no_evidence: 2 }, 50],
    ]);
  });

  it("gives the mean score per number called as SQL written apart does, each number's URL listing its calls", async () => {
    const insights = await scriptInsights(RANGE);
    const truth = await asService((tx) => tx<{ number: string; n: number; total: number }[]>`
      select c.to_number as number, count(*)::int as n, sum((s.body ->> 'score')::float8) as total
      from public.call_artifacts s join public.calls c on c.id = s.call_id
      where s.kind = 'score' and jsonb_typeof(s.body -> 'score') = 'number'
        and s.id not in (select supersedes from public.call_artifacts where supersedes is not null)
        and c.organization_id = ${orgId} and c.snapshot_script_id = ${script.id}
        and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23'
      group by 1 order by 2 desc, 1`);
    expect(insights.numbers!.map((n) => [n.number, n.scoredCalls, n.averageScore])).toEqual(truth.map((r) => [r.number, r.n, pct(r.total / r.n)]));
    expect(insights.numbers!.map((n) => n.number)).toEqual(["+14155550101", "+14155550102", "+14155550103"]);
    for (const n of insights.numbers!) expect(await listed(n.url), n.number).toBe(n.scoredCalls);
    expect(await listed(insights.url)).toBe(insights.funnel[0]!.calls);
  });

  it("gives each target's and each tag's mean score, in all and per week, as SQL written apart does, each URL listing its calls", async () => {
    const insights = await scriptInsights(RANGE);
    // Written apart: each current numeric score joined to the target of its number, per tag and per week (date_bin from a Monday).
    const truth = await asService((tx) => tx<{ key: string; kind: "number" | "tag"; start: string | null; n: number; total: number }[]>`
      with scored as (
        select c.to_number, c.to_number_hash, c.created_at, (s.body ->> 'score')::float8 as score
        from public.call_artifacts s join public.calls c on c.id = s.call_id
        where s.kind = 'score' and jsonb_typeof(s.body -> 'score') = 'number'
          and s.id not in (select supersedes from public.call_artifacts where supersedes is not null)
          and c.organization_id = ${orgId} and c.snapshot_script_id = ${script.id}
          and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23')
      select x.key, x.kind, x.start, count(*)::int as n, sum(x.score) as total
      from (
        select to_number as key, 'number' as kind, to_char(date_bin('7 days', created_at, '2026-11-02T00:00:00Z'), 'YYYY-MM-DD') as start, score from scored
        union all
        select tag, 'tag', to_char(date_bin('7 days', scored.created_at, '2026-11-02T00:00:00Z'), 'YYYY-MM-DD'), scored.score
        from scored, public.voice_targets t, unnest(t.tags) as tag
        where t.organization_id = ${orgId} and t.number_hash = scored.to_number_hash) x
      group by grouping sets ((x.key, x.kind, x.start), (x.key, x.kind))`);
    const of = (kind: string, key: string, start: string | null) => truth.find((r) => r.kind === kind && r.key === key && r.start === start);
    const check = async (kind: "number" | "tag", key: string, group: { scoredCalls: number; averageScore: number | null; url: string; points: { from: string; scoredCalls: number; averageScore: number | null; url: string }[] }) => {
      const all = of(kind, key, null)!;
      expect([group.scoredCalls, group.averageScore], key).toEqual([all.n, pct(all.total / all.n)]);
      expect(await listed(group.url), group.url).toBe(group.scoredCalls);
      expect(group.points.map((x) => x.from)).toEqual(["2026-11-04", "2026-11-09", "2026-11-16"]);
      for (const point of group.points) {
        const row = of(kind, key, point.from === "2026-11-04" ? "2026-11-02" : point.from);
        expect([point.scoredCalls, point.averageScore], `${key} ${point.from}`).toEqual([row?.n ?? 0, row ? pct(row.total / row.n) : null]);
        expect(await listed(point.url), point.url).toBe(point.scoredCalls);
      }
    };
    expect(insights.numbers!.map((n) => [n.number, n.target])).toEqual([
      ["+14155550101", "Riverside Clinic"], ["+14155550102", "Harbor Dental"], ["+14155550103", "Elm Street Practice"],
    ]);
    for (const n of insights.numbers!) await check("number", n.number, n);
    // west: 0101's two and 0102's two; clinic: 0101's two; east: 0103's one. Another organization's "west" target adds nothing.
    expect(insights.tags.map((t) => [t.tag, t.scoredCalls])).toEqual([["west", 4], ["clinic", 2], ["east", 1]]);
    for (const t of insights.tags) await check("tag", t.tag, t);
    expect(insights.tags[0]!.url).toBe(`/?from=2026-11-04&to=2026-11-22&scoreMin=0&script=${script.id}&tag=west`);
  });

  it("narrows everything to one campaign's calls with campaign=, every URL carrying it; another organization's campaign is 404", async () => {
    const insights = await scriptInsights(`${RANGE}&campaign=${campaignId}`);
    expect(insights.campaign).toEqual({ id: campaignId, name: "November audit" });
    expect(insights.funnel.map((s) => s.calls)).toEqual([2, 2, 2, 2, 2]);
    expect(insights.scoreOverTime.map((x) => [x.scoredCalls, x.averageScore])).toEqual([[2, 62.5], [0, null], [0, null]]);
    expect(insights.criteria.map((c) => c.counts)).toEqual([{ pass: 1, fail: 1, no_evidence: 0 }, { pass: 2, fail: 0, no_evidence: 0 }]);
    expect(insights.tags.map((t) => [t.tag, t.scoredCalls])).toEqual([["west", 2], ["clinic", 1]]);
    const urls = [insights.url, ...insights.funnel.map((s) => s.url), ...insights.scoreOverTime.map((x) => x.url),
      ...insights.criteria.flatMap((c) => Object.values(c.urls)), ...insights.tags.map((t) => t.url), ...insights.numbers!.map((n) => n.url)];
    for (const url of urls) expect(new URLSearchParams(url.slice(2)).get("campaign"), url).toBe(campaignId);
    for (const c of insights.criteria) for (const o of ["pass", "fail"] as const) expect(await listed(c.urls[o])).toBe(c.counts[o]);
    expect(await listed(insights.url)).toBe(2);

    const answers = await surveyAnswer("analyst", `${RANGE}&campaign=${campaignId}`);
    expect(surveyInsightsSchema.parse(answers.body)).toMatchObject({ campaign: { id: campaignId }, calls: 0, answeredCalls: 0 });

    const theirs = await asService((tx) => tx<{ id: string }[]>`
      insert into public.campaigns (organization_id, name, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by)
      values (${foreign.orgId}, 'Theirs', '{}', '{"tags": []}', '{}', now(), now() + interval '1 day', '{}', '{}', ${p.owner.userId})
      returning id`);
    for (const res of [await scriptAnswer("analyst", `${RANGE}&campaign=${theirs[0]!.id}`), await surveyAnswer("analyst", `${RANGE}&campaign=${theirs[0]!.id}`),
      await scriptAnswer("analyst", `${RANGE}&campaign=${randomUUID()}`)]) {
      expect(res.status).toBe(404);
    }
    expect((await scriptAnswer("analyst", `${RANGE}&campaign=nope`)).status).toBe(400);
  });

  it("counts nothing of another script, of calls outside the range, or of another organization", async () => {
    // One day, 4 November: the call at 00:00:00 is in, the one a millisecond before is out.
    const day = await scriptInsights("from=2026-11-04&to=2026-11-04&bucket=day");
    expect(day.funnel[0]!.calls).toBe(1);
    expect(day.scoreOverTime).toEqual([{ from: "2026-11-04", to: "2026-11-04", scoredCalls: 1, averageScore: 100, url: `/?from=2026-11-04&to=2026-11-04&scoreMin=0&script=${script.id}` }]);
    const res = await scriptAnswer("analyst", RANGE, otherScript.id);
    expect(scriptInsightsSchema.parse(res.body).funnel[0]!.calls).toBe(1);
  });
});

// ---- surveys ------------------------------------------------------------------------------------

describe("a survey's insights", () => {
  it("counts each question's answers as SQL written apart does, each value's URL listing its calls", async () => {
    const res = await surveyAnswer("analyst", RANGE);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const insights: SurveyInsights = surveyInsightsSchema.parse(res.body);
    const truth = await asService((tx) => tx<{ q: string; v: string; n: number }[]>`
      select a.question_id as q, (case a.source when 'speech' then 'speech' else a.answer end) as v, count(distinct a.call_id)::int as n
      from public.survey_answers a, public.calls c
      where c.id = a.call_id and c.organization_id = ${orgId} and c.modulations -> 'survey' ->> 'id' = ${survey.id}
        and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23'
      group by 1, 2`);
    const [totals] = await asService((tx) => tx<{ calls: number; answered: number }[]>`
      select count(*)::int as calls, count(*) filter (where c.id in (select call_id from public.survey_answers))::int as answered
      from public.calls c where c.organization_id = ${orgId} and c.snapshot_survey_id = ${survey.id}
        and c.created_at >= '2026-11-04' and c.created_at < '2026-11-23'`);
    expect([insights.calls, insights.answeredCalls]).toEqual([totals!.calls, totals!.answered]);
    expect([insights.calls, insights.answeredCalls]).toEqual([7, 6]);
    expect(insights.questions.map((q) => [q.questionId, q.prompt])).toEqual([
      ["q1", "How was it?"], ["q2", "Anything else?"], ["q3", "Would you come back?"], ["q0", null],
    ]);
    for (const q of insights.questions) {
      const seen = truth.filter((r) => r.q === q.questionId);
      for (const r of seen) expect(q.answers.find((a) => a.value === r.v)?.count, `${q.questionId}:${r.v}`).toBe(r.n);
      expect(q.answers.filter((a) => a.count > 0).length).toBe(seen.length);
      expect(q.answered).toBe(seen.reduce((n, r) => n + r.n, 0));
      for (const a of q.answers) expect(await listed(a.url), `${q.questionId}:${a.value}`).toBe(a.count);
    }
    // The values each question can take are all there, zeros included.
    expect(insights.questions[0]!.answers.map((a) => [a.value, a.count])).toEqual([["1", 1], ["2", 0], ["3", 1], ["4", 0], ["5", 2], ["invalid", 1]]);
    expect(insights.questions[1]!.answers.map((a) => [a.value, a.count])).toEqual([["invalid", 2], ["speech", 2]]);
    expect(insights.questions[2]!.answers.map((a) => [a.value, a.count])).toEqual([["0", 1], ["1", 1], ["invalid", 1], ["speech", 1]]);
    expect(insights.questions[3]!.answers.map((a) => [a.value, a.count])).toEqual([["7", 1]]);
    expect(await listed(insights.url)).toBe(insights.calls);
  });
});

// ---- who may ------------------------------------------------------------------------------------

describe("who may read insights", () => {
  it("owners, admins and analysts on the insights plan and up; operators and viewers are told who may", async () => {
    for (const role of ["owner", "admin", "analyst"] as const) {
      expect((await scriptAnswer(role, RANGE)).status, role).toBe(200);
      expect((await surveyAnswer(role, RANGE)).status, role).toBe(200);
    }
    for (const role of ["operator", "viewer"] as const) {
      for (const res of [await scriptAnswer(role, RANGE), await surveyAnswer(role, RANGE)]) {
        expect(res.status, role).toBe(403);
        expect(res.body.error!.message).toContain("Owners, admins and analysts");
      }
    }
  });

  it("refuses the base and pro plans whatever the role (403 naming the plan)", async () => {
    const res = await scriptAnswer("owner", RANGE, proOwner.scriptId, proOwner.orgId, proOwner.browser);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body.error)).toMatch(/insights/i);
  });

  it("answers another organization's script or survey, and a malformed id, as unknown (404)", async () => {
    expect((await scriptAnswer("owner", RANGE, foreign.scriptId)).status).toBe(404);
    expect((await surveyAnswer("owner", RANGE, foreign.surveyId)).status).toBe(404);
    // A survey's id is not a script's, and the other way round.
    expect((await scriptAnswer("owner", RANGE, survey.id)).status).toBe(404);
    expect((await surveyAnswer("owner", RANGE, script.id)).status).toBe(404);
    expect((await scriptAnswer("owner", RANGE, "not-a-uuid")).status).toBe(404);
    // Their owner, in their organization, sees only their own call.
    const theirs = await call(foreign.owner, scriptRoute.GET, { path: `/api/insights/scripts/${foreign.scriptId}?${RANGE}`, orgId: foreign.orgId, params: { id: foreign.scriptId } });
    expect(scriptInsightsSchema.parse(theirs.body).funnel.map((s) => s.calls)).toEqual([1, 1, 1, 1, 1]);
    // Naming the other organization in the header as a non-member: 404, not its insights.
    expect((await scriptAnswer("owner", RANGE, foreign.scriptId, foreign.orgId)).status).toBe(404);
  });

  it("refuses malformed queries (400) and incoherent ranges (422)", async () => {
    for (const query of ["bucket=month", "from=2026-13-01", "to=yesterday", "from=2026-11-04T00:00:00Z"]) {
      expect((await scriptAnswer("analyst", query)).status, query).toBe(400);
    }
    const backwards = await scriptAnswer("analyst", "from=2026-11-22&to=2026-11-04");
    expect([backwards.status, backwards.body.error!.code]).toEqual([422, "invalid_range"]);
    const long = await surveyAnswer("analyst", "from=2025-01-01&to=2026-11-04");
    expect([long.status, long.body.error!.code]).toEqual([422, "range_too_long"]);
  });
});
