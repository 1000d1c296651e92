import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { findCallPage, listCallIds, WALK_BUDGET, type CallSearchParams } from "@/lib/calls/call-search";
import { callListResponseSchema, type CallFilter } from "@/lib/calls/contracts";
import { viewFor } from "@/lib/calls/call-view";
import { asService, withUser, type Tx } from "@/lib/db";
import { ForbiddenError } from "@/lib/errors";
import { storeArtifact, storeScoreArtifact } from "@/lib/intelligence/artifacts";
import type { Plan, Role } from "@/lib/rbac/policy";
import type { ShopperScript } from "@/lib/surveys/documents";
import { addMembership, claimsFor, createOrg, member } from "@/tests/support/fixtures";
import { call, signedInUser, type Browser } from "@/tests/support/member-requests";
import { publishScript, scriptDraft } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The two ways a filtered list finds its page (docs/adr/0030): a walk of the newest calls, each
 * tested in turn, and, when the walk's budget runs out first, the indexes (text, score and number
 * searches through their `security definer` functions). Whatever the budget, every role must get
 * the same calls in the same order, page after page: the index path applies exactly the
 * visibility the walk gets from RLS (redacted originals, translations, other organizations).
 * Then "about N matches", and the daily call counts it is scaled by.
 */
const list = await import("@/app/api/calls/route");

let orgId: string;
let otherOrg: string;
let proOrg: string;
let script: ShopperScript;
const roles: Record<Role, string> = {} as Record<Role, string>;
let proOperator: string;
let browser: Browser;
/** Calls of `orgId`, newest first, with what each said. */
const calls: { id: string; said: string[]; status: string }[] = [];

const provenance = () => ({ vendor: "test", models: ["test"], producedAt: new Date().toISOString() });

let seq = 0;
async function makeCall(org: string, by: string, { at, status = "completed", to = "+14155550100", plan = "global", script: s = null }: { at: string; status?: string; to?: string; plan?: Plan; script?: ShopperScript | null }) {
  seq += 1;
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, status, idempotency_key, modulations, plan_tier, created_at, updated_at)
    values (${org}, ${by}, 'direct', '+15550100000', ${to}, ${status}, ${`paths-${seq}-${randomUUID()}`},
            ${tx.json({ flow: "direct", from: "+15550100000", to, operatorPhone: null, record: true, transcribe: true, translate: null, redact: false,
                        disclosure: "This call is recorded.", survey: null, shopperScript: s, configVersion: 1 } as never)},
            ${plan}, ${at}::text::timestamptz, ${at}::text::timestamptz)
    returning id`);
  return row!.id;
}

function transcriptBody(language: string, lines: string[]) {
  const utterances = lines.map((text, i) => ({ speaker: i % 2 ? "B" : "A", channel: null, start: i * 3000, end: i * 3000 + 2500, text, confidence: 0.9 }));
  return { transcript_id: randomUUID(), language_code: language, language_confidence: 0.9, confidence: 0.9, audio_duration: 3, text: lines.join(" "), utterances, words: [], sentiment_analysis_results: [], entities: [], redacted: false };
}

const transcript = (org: string, callId: string, language: string, lines: string[], extra: { kind?: "transcript" | "redacted_transcript"; restricted?: boolean } = {}) =>
  asService((tx) => storeArtifact(tx, { orgId: org, callId, kind: extra.kind ?? "transcript", language, body: transcriptBody(language, lines), provenance: provenance(), inputs: {}, restricted: extra.restricted ?? false }));

const translation = (org: string, callId: string, language: string, text: string) =>
  asService((tx) => storeArtifact(tx, { orgId: org, callId, kind: "translation", language, body: { transcript_id: "t", language, source_language: null, text }, provenance: provenance(), inputs: {} }));

const score = (org: string, callId: string, transcriptId: string, value: number) =>
  asService((tx) => storeScoreArtifact(tx, {
    orgId: org, callId, provenance: provenance(),
    body: { rubric: { id: script.id, version: script.version }, calledPartySpeaker: "B", score: value, passedWeight: value, decidedWeight: 1, counts: { pass: 1, fail: 0, no_evidence: 0 }, criteria: [] },
    inputs: { transcript: { id: transcriptId, sha256: "b".repeat(64) }, rubric: { scriptId: script.id, version: script.version, sha256: script.sha256 } },
  }));

beforeAll(async () => {
  orgId = await createOrg("global");
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as Role[]) roles[role] = (await member(orgId, role)).userId;
  const person = await signedInUser();
  await addMembership(orgId, person.userId, "operator");
  browser = person.browser;
  script = await publishScript(orgId, roles.owner, scriptDraft(["Hello."]));

  // Forty calls an hour apart, oldest first; what each said follows from its index.
  for (let i = 0; i < 40; i++) {
    const at = new Date(Date.parse("2026-03-01T00:00:00Z") + i * 3_600_000).toISOString();
    const status = i % 5 === 4 ? "failed" : "completed";
    const id = await makeCall(orgId, roles.owner, { at, status, to: i % 6 === 0 ? `+44207123${String(4000 + i)}` : `+1415555${String(1000 + i)}`, script: i % 2 ? null : script });
    const said: string[] = [];
    if (status === "completed") {
      if (i === 7) {
        said.push("My name is Zebediah Quixote and I want a refund.");
        await transcript(orgId, id, "en", said, { restricted: true });
        await transcript(orgId, id, "en", ["My name is [PERSON_NAME] and I want a refund."], { kind: "redacted_transcript" });
      } else if (i === 10) {
        const old = await transcript(orgId, id, "en", ["An old transcript about a pineapple."]);
        await score(orgId, id, old!, 0.2);
        said.push("A new transcript about a mango and an appointment.");
        const current = await transcript(orgId, id, "en", said);
        await score(orgId, id, current!, 0.95);
      } else if (i % 4 === 2) {
        said.push("Hola, quiero pedir reembolsos de mis compras.");
        await transcript(orgId, id, "es", said);
      } else {
        said.push(i % 3 === 0 ? "I would like a refund for my order." : "I need to book an appointment for Tuesday.");
        const t = await transcript(orgId, id, "en", said);
        if (i % 2 === 0) await score(orgId, id, t!, (i % 10) / 10);
      }
      if (i % 5 === 0) await translation(orgId, id, "es", "Quisiera un reembolso de mi pedido.");
    }
    calls.unshift({ id, said, status });
  }

  // Another organization that said the same words, and one on pro (no translations).
  otherOrg = await createOrg("global");
  const otherOwner = (await member(otherOrg, "owner")).userId;
  for (let i = 0; i < 3; i++) {
    const id = await makeCall(otherOrg, otherOwner, { at: `2026-03-02T0${i}:30:00Z` });
    await transcript(otherOrg, id, "en", ["I would like a refund for my order."]);
  }
  proOrg = await createOrg("pro");
  proOperator = (await member(proOrg, "operator")).userId;
  const proCall = await makeCall(proOrg, proOperator, { at: "2026-03-01T12:00:00Z", plan: "pro" });
  await transcript(proOrg, proCall, "en", ["Nothing about fruit here."]);
  await translation(proOrg, proCall, "es", "Una conversación sobre kumquat y reembolso.");
}, 120_000);

/** Every id the filter matches, page after page (pages of 3), walking at most `budget` calls per page. */
async function walkAll(userId: string, role: Role, filter: CallFilter, budget: number | undefined, opts: { org?: string; plan?: Plan; original?: boolean; rest?: "walk" | "look up" | "set"; statusFew?: number } = {}): Promise<string[]> {
  const view = viewFor({ role, plan: opts.plan ?? "global" }, { original: opts.original });
  const out: string[] = [];
  let before: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page: { ids: string[]; nextBefore: string | null } = await withUser(claimsFor(userId), (tx: Tx) =>
      listCallIds(tx, { orgId: opts.org ?? orgId, filter, view, before, limit: 3, budget, rest: opts.rest, statusFew: opts.statusFew }));
    out.push(...page.ids);
    if (!page.nextBefore) return out;
    before = page.nextBefore;
  }
  throw new Error("more than 100 pages");
}

const walkAllThen = walkAll;
const saying = (word: RegExp) => calls.filter((c) => c.said.some((s) => word.test(s))).map((c) => c.id);

describe("the walk and the indexes find the same calls", () => {
  const cases: { role: Role; filter: CallFilter; original?: boolean }[] = [
    { role: "operator", filter: { q: "refund" } },
    { role: "operator", filter: { q: "refunds" } },
    { role: "analyst", filter: { q: "reembolso" } },
    { role: "operator", filter: { q: "Zebediah" } },
    { role: "owner", filter: { q: "Zebediah" } },
    { role: "owner", filter: { q: "Zebediah" }, original: true },
    { role: "admin", filter: { q: "quixote" }, original: true },
    { role: "owner", filter: { q: "pineapple" } },
    { role: "owner", filter: { q: "mango" } },
    { role: "operator", filter: { q: "\"book an appointment\" -tuesday" } },
    { role: "analyst", filter: { scoreMin: 50 } },
    { role: "analyst", filter: { scoreMin: 20, scoreMax: 40 } },
    { role: "analyst", filter: { scoreMax: 30 } },
    { role: "owner", filter: { scoreMin: 0, q: "refund", status: ["completed"] } },
    { role: "operator", filter: { number: "5551003" } },
    { role: "operator", filter: { number: "4420" } },
    { role: "viewer", filter: { number: "44" } },
    { role: "viewer", filter: { number: "4420" } },
    { role: "operator", filter: { number: "555", q: "appointment", has: ["transcript"] } },
    { role: "operator", filter: { q: "refund", has: ["translation"] } },
    { role: "analyst", filter: { scoreMin: 50, has: ["translation"] } },
    { role: "operator", filter: { q: "appointment", number: "4420" } },
    { role: "owner", filter: { q: "refund", to: "2026-03-01T12:00:00Z" } },
    { role: "operator", filter: { status: ["failed"] } },
    { role: "operator", filter: { status: ["failed", "busy"], q: "refund" } },
    { role: "analyst", filter: { status: ["completed"], scoreMin: 50 } },
    { role: "viewer", filter: { status: ["queued"] } },
    { role: "operator", filter: { has: ["translation"], from: "2026-03-01T05:00:00Z", to: "2026-03-02" } },
    { role: "operator", filter: { q: "appointment", from: "2026-03-01T10:00:00Z", to: "2026-03-01T20:00:00Z" } },
  ];

  it.each(cases)("$role $filter (original: $original)", async ({ role, filter, original }) => {
    const walked = await walkAll(roles[role], role, filter, undefined, { original, statusFew: 1 });
    for (const budget of [1, 2, 5]) {
      for (const rest of ["walk", "look up", "set"] as const) {
        // A status filter is read by index when few calls are in it (statusFew), walked to otherwise.
        for (const statusFew of filter.status ? [1, 1000] : [undefined]) {
          expect(await walkAll(roles[role], role, filter, budget, { original, rest, statusFew }), `budget ${budget}, then ${rest}, statusFew ${statusFew}`).toEqual(walked);
        }
      }
    }
  });

  it("and those are the calls the fixture says, for any budget", async () => {
    for (const budget of [1, WALK_BUDGET]) {
      const walkAll = (userId: string, role: Role, filter: CallFilter, b: number, opts: { original?: boolean } = {}) =>
        walkAllThen(userId, role, filter, b, { ...opts, rest: budget === 1 ? "look up" : "set" });
      // The transcripts that say it, the redacted one included (its restricted original is not read).
      expect(saying(/refund/).length).toBeGreaterThan(5);
      expect(await walkAll(roles.operator, "operator", { q: "refund" }, budget)).toEqual(saying(/refund/));
      // Spanish: the Spanish transcripts and the calls with a Spanish translation.
      const spanish = calls.filter((c, i) => c.said.some((s) => /reembolsos/.test(s)) || (c.status === "completed" && (39 - i) % 5 === 0)).map((c) => c.id);
      expect(await walkAll(roles.analyst, "analyst", { q: "reembolso" }, budget)).toEqual(spanish);
      expect(await walkAll(roles.operator, "operator", { q: "Zebediah" }, budget)).toEqual([]);
      expect(await walkAll(roles.owner, "owner", { q: "Zebediah" }, budget, { original: true })).toEqual(saying(/Zebediah/));
      expect(await walkAll(roles.owner, "owner", { q: "pineapple" }, budget)).toEqual([]);
      // Scores: the current one only (the mango call's 0.2 was superseded by 0.95).
      expect(await walkAll(roles.analyst, "analyst", { scoreMax: 30 }, budget)).toEqual(
        calls.filter((c, i) => { const n = 39 - i; return c.status === "completed" && n % 2 === 0 && n !== 10 && n !== 7 && n % 4 !== 2 && (n % 10) / 10 <= 0.3; }).map((c) => c.id));
      expect(await walkAll(roles.analyst, "analyst", { scoreMin: 95 }, budget)).toEqual(saying(/mango/));
    }
  });

  it("translations only with translation.read, other organizations never", async () => {
    for (const budget of [1, WALK_BUDGET]) {
      const walkAll = (userId: string, role: Role, filter: CallFilter, b: number, opts: { org?: string; plan?: Plan } = {}) =>
        walkAllThen(userId, role, filter, b, { ...opts, rest: budget === 1 ? "look up" : "set" });
      expect(await walkAll(proOperator, "operator", { q: "kumquat" }, budget, { org: proOrg, plan: "pro" })).toEqual([]);
      expect(await walkAll(proOperator, "operator", { q: "fruit" }, budget, { org: proOrg, plan: "pro" })).toHaveLength(1);
      expect(await walkAll(roles.owner, "owner", { q: "refund" }, budget, { org: otherOrg })).toEqual([]);
      expect(await walkAll(roles.owner, "owner", { status: ["completed"] }, budget, { org: otherOrg })).toEqual([]);
    }
  });

  it("the status functions answer only a member of the organization", async () => {
    const ask = (userId: string, org: string) => withUser(claimsFor(userId), (tx: Tx) => tx<{ ids: string[]; n: number }[]>`
      select array(select private.status_call_ids(${org}, ${["completed", "failed"]}::text[])) as ids,
             private.status_call_count(${org}, ${["completed", "failed"]}::text[], 1000) as n`);
    const [mine] = await ask(roles.viewer, orgId);
    expect(mine!.ids).toHaveLength(40);
    expect(mine!.n).toBe(40);
    expect(await ask(roles.owner, otherOrg)).toEqual([{ ids: [], n: 0 }]);
    const [capped] = await withUser(claimsFor(roles.viewer), (tx: Tx) => tx<{ n: number }[]>`
      select private.status_call_count(${orgId}, ${["completed"]}::text[], 5) as n`);
    expect(capped!.n).toBe(5);
  });

  it("a viewer's q and content filters are refused on either path", async () => {
    for (const budget of [1, WALK_BUDGET]) {
      for (const filter of [{ q: "refund" }, { scoreMin: 10 }, { has: ["transcript"] }] as CallFilter[]) {
        await expect(walkAll(roles.viewer, "viewer", filter, budget)).rejects.toBeInstanceOf(ForbiddenError);
      }
    }
  });

  it("refuses a budget that is not a positive whole number", async () => {
    await expect(walkAll(roles.owner, "owner", { q: "refund" }, 0)).rejects.toThrow(/budget/);
  });
});

describe("the configurations a walk parses a search in", () => {
  it("are every one private.search_config can return, so no artifact's language is missed", async () => {
    const [row] = await asService((tx) => tx<{ definition: string; configs: string[] }[]>`
      select pg_get_functiondef('private.search_config(text)'::regprocedure) as definition,
             private.search_configs()::text[] as configs`);
    const returned = new Set([...row!.definition.matchAll(/'pg_catalog\.(\w+)'::regconfig/g)].map((m) => m[1]));
    expect(returned.size).toBeGreaterThan(20);
    expect(new Set(row!.configs.map((c) => c.replace(/^pg_catalog\./, "")))).toEqual(returned);
  });
});

describe("about N matches", () => {
  const get = async (query: string) => {
    const res = await call(browser, list.GET, { path: `/api/calls?${query}`, orgId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return callListResponseSchema.parse(res.body);
  };
  const refunds = () => saying(/refund/).length;

  it("is absent unfiltered and on later pages", async () => {
    expect((await get("limit=5")).matches).toBeNull();
    const first = await get("limit=5&q=refund");
    expect(first.matches).not.toBeNull();
    expect((await get(`limit=5&q=refund&before=${first.nextBefore}`)).matches).toBeNull();
  });

  it("is the exact count when every match was seen", async () => {
    expect((await get("limit=200&q=refund")).matches).toEqual({ about: refunds(), exact: true });
    expect((await get("limit=5&q=nothing-says-this")).matches).toEqual({ about: 0, exact: true });
  });

  it("is an estimate from the walked calls, scaled by the calls in the date range, when the page filled first", async () => {
    const body = await get("limit=5&q=refund");
    expect(body.calls).toHaveLength(5);
    expect(body.matches!.exact).toBe(false);
    expect(Math.abs(body.matches!.about - refunds())).toBeLessThanOrEqual(refunds() / 2);
    // Every call of a date range matches a date filter: the estimate is the range's calls (whole days).
    expect((await get("limit=5&from=2026-03-01&to=2026-03-01")).matches).toEqual({ about: 24, exact: false });
  });

  it("is the exact count when the indexes found every match", async () => {
    const view = viewFor({ role: "operator", plan: "global" });
    const page = (params: Partial<CallSearchParams>) => withUser(claimsFor(roles.operator), (tx: Tx) =>
      findCallPage(tx, { orgId, view, limit: 3, filter: { q: "refund" }, budget: 1, rest: "look up", ...params }, { estimate: true }));
    expect(await page({})).toMatchObject({ path: "walk, then index", matches: { about: refunds(), exact: true } });
    expect(await page({ rest: "set" })).toMatchObject({ path: "walk, then index", matches: { about: refunds(), exact: true } });
    expect((await page({ filter: { q: "refund", status: ["failed"] } })).matches).toEqual({ about: 0, exact: true });
    // With another filter the set of matches is not the count: exact only if it is the truth.
    const translated = calls.filter((c, i) => c.said.some((x) => /refund/.test(x)) && (39 - i) % 5 === 0).map((c) => c.id);
    expect(translated.length).toBeGreaterThan(0);
    for (const rest of ["set", "look up"] as const) {
      const withTranslation = await page({ filter: { q: "refund", has: ["translation"] }, limit: 1, rest });
      expect(withTranslation.rows.map((row) => row.id)).toEqual(translated.slice(0, 2));
      if (withTranslation.matches!.exact) expect(withTranslation.matches!.about).toBe(translated.length);
    }
    // Left to choose, a word said once is read from the index, not walked to.
    expect(await page({ filter: { q: "mango" }, rest: undefined, budget: 5 })).toMatchObject({ path: "walk, then index", rows: [{ id: saying(/mango/)[0] }] });
    // A status few calls are in is read from its index, and counted exactly: eight failed calls.
    const failedCalls = calls.filter((c) => c.status === "failed").map((c) => c.id);
    expect(failedCalls).toHaveLength(8);
    expect(await page({ filter: { status: ["failed"] }, budget: 4, rest: undefined })).toMatchObject({
      path: "walk, then index", rows: failedCalls.slice(0, 4).map((id) => ({ id })), matches: { about: 8, exact: true } });
    expect(await page({ filter: { status: ["queued"] }, budget: 4, rest: undefined })).toMatchObject({ path: "walk, then index", rows: [], matches: { about: 0, exact: true } });
    // A status more calls are in than statusFew walks on; its estimate comes from the budget's sample.
    const failed = await page({ filter: { status: ["failed"] }, budget: 4, rest: undefined, statusFew: 8 });
    expect(failed.path).toBe("walk, then walk on");
    expect(failed.matches!.exact).toBe(false);
    expect(failed.matches!.about).toBeGreaterThanOrEqual(failed.rows.length);
  });
});

describe("the daily call counts", () => {
  const counts = (org: string) => asService((tx) => tx<{ day: string; calls: number }[]>`
    select to_char(day, 'YYYY-MM-DD') as day, calls from public.call_counts where organization_id = ${org} order by day`);

  it("follow every insert and delete, per organization and UTC day", async () => {
    const org = await createOrg("base");
    const by = (await member(org, "owner")).userId;
    const a = await makeCall(org, by, { at: "2026-04-01T23:30:00Z" });
    await makeCall(org, by, { at: "2026-04-02T00:30:00+02:00" }); // 2026-04-01 22:30 UTC
    const c = await makeCall(org, by, { at: "2026-04-02T10:00:00Z" });
    expect(await counts(org)).toEqual([{ day: "2026-04-01", calls: 2 }, { day: "2026-04-02", calls: 1 }]);
    await asService((tx) => tx`delete from public.calls where id = ${a}`);
    expect(await counts(org)).toEqual([{ day: "2026-04-01", calls: 1 }, { day: "2026-04-02", calls: 1 }]);
    await asService((tx) => tx`update public.calls set created_at = '2026-04-03T01:00:00Z' where id = ${c}`);
    expect(await counts(org)).toEqual([{ day: "2026-04-01", calls: 1 }, { day: "2026-04-02", calls: 0 }, { day: "2026-04-03", calls: 1 }]);
    // Any other update (a status, a timestamp: every call has many) leaves them alone.
    await asService((tx) => tx`update public.calls set updated_at = now() where organization_id = ${org}`);
    expect(await counts(org)).toEqual([{ day: "2026-04-01", calls: 1 }, { day: "2026-04-02", calls: 0 }, { day: "2026-04-03", calls: 1 }]);
  });

  it("count what a batch inserts, and members read only their own organizations'", async () => {
    expect((await counts(orgId)).reduce((n, d) => n + d.calls, 0)).toBe(40);
    const read = (userId: string, org: string) => withUser(claimsFor(userId), (tx: Tx) =>
      tx<{ calls: number }[]>`select calls from public.call_counts where organization_id = ${org}`);
    expect((await read(roles.viewer, orgId)).length).toBeGreaterThan(0);
    expect(await read(roles.viewer, otherOrg)).toEqual([]);
    const writes = withUser(claimsFor(roles.owner), (tx: Tx) => tx`update public.call_counts set calls = 0 where organization_id = ${orgId}`);
    await expect(writes).rejects.toThrow(/permission denied/);
  });
});
