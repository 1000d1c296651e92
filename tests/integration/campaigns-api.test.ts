import { parse } from "csv-parse/sync";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import { campaignProgressSchema, campaignViewSchema, type CampaignView } from "@/lib/campaigns/contracts";
import { runCampaignTick } from "@/lib/campaigns/runner";
import type { CarrierSimulator } from "@/scripts/simulator";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, call, signedInUser, type Browser } from "@/tests/support/member-requests";
import { configureSignalWire, startTestCarrier } from "@/tests/support/signalwire";
import { freshTag, openSchedule, savedTarget, zoneWhere } from "@/tests/support/campaigns";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * /api/campaigns through its routes (memberRoute: session, organization, role, plan), real
 * Postgres with RLS: each route's wrong role (403 naming who may), another organization's id
 * (404), the plan (403 plan_required on base), malformed (400/422) and oversized (413) bodies,
 * the state machine's 409s, progress, results as CSV (masked for viewers, no formulas), the call
 * list's `campaign` filter and the campaign's bulk evidence export.
 */
const list = await import("@/app/api/campaigns/route");
const one = await import("@/app/api/campaigns/[id]/route");
const launchRoute = await import("@/app/api/campaigns/[id]/launch/route");
const pauseRoute = await import("@/app/api/campaigns/[id]/pause/route");
const resumeRoute = await import("@/app/api/campaigns/[id]/resume/route");
const cancelRoute = await import("@/app/api/campaigns/[id]/cancel/route");
const progressRoute = await import("@/app/api/campaigns/[id]/progress/route");
const resultsRoute = await import("@/app/api/campaigns/[id]/results.csv/route");
const evidenceRoute = await import("@/app/api/campaigns/[id]/evidence/route");
const calls = await import("@/app/api/calls/route");

const log = pino({ level: "silent" });
let sim: CarrierSimulator;
let acme: string;
let borealis: string;
let basic: string;
const people: Record<string, { userId: string; browser: Browser }> = {};
const browserOf = (who: string) => people[who]!.browser;
let tag: string;
let zone: string;

beforeAll(async () => {
  sim = await startTestCarrier();
  configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
  acme = await createOrg("pro");
  borealis = await createOrg("pro");
  basic = await createOrg("base");
  for (const org of [acme, borealis, basic]) await sql()`insert into public.voice_configs (organization_id) values (${org})`;
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role]!.userId, role);
  }
  people.borealisOwner = await signedInUser();
  await addMembership(borealis, people.borealisOwner.userId, "owner");
  people.basicOwner = await signedInUser();
  await addMembership(basic, people.basicOwner.userId, "owner");
  tag = freshTag();
  zone = zoneWhere(true);
  for (const [i, name] of ["=HYPERLINK(\"x\")", "Clinic B"].entries()) {
    const to = `+1415555${3000 + i}`;
    sim.setScenario(to, { kind: "silent" });
    await savedTarget(acme, people.owner!.userId, { number: to, timeZone: zone, tags: [tag], name });
  }
});

afterAll(async () => {
  await sim?.stop();
});

const body = (extra: Record<string, unknown> = {}) => ({
  name: "Front desk audit",
  selection: { tags: [tag] },
  schedule: openSchedule(),
  pace: { dialsPerSecond: 5, maxLive: 2 },
  retry: { busy: { maxAttempts: 2, backoffSeconds: 60 } },
  ...extra,
});

async function create(who = "owner", orgId = acme, input: unknown = body()) {
  return call(browserOf(who), list.POST, { method: "POST", path: "/api/campaigns", body: input, orgId });
}
type IdRoute = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
const act = (route: { POST: IdRoute }, who: string, id: string, orgId = acme) =>
  call<{ id: string }>(browserOf(who), route.POST, { method: "POST", path: `/api/campaigns/${id}/x`, orgId, params: { id } });
const get = (route: { GET: IdRoute }, who: string, id: string, orgId = acme) =>
  call<{ id: string }>(browserOf(who), route.GET, { path: `/api/campaigns/${id}`, orgId, params: { id } });

describe("create, read, edit, delete", () => {
  let draft: CampaignView;

  it("owners and admins save drafts; the answer is the campaign with its frozen snapshot", async () => {
    const res = await create("admin");
    expect(res.status).toBe(201);
    draft = campaignViewSchema.parse(res.body.campaign);
    expect(draft).toMatchObject({ state: "draft", acts: ["launch", "cancel"], selection: { tags: [tag] }, pace: { dialsPerSecond: 5, maxLive: 2 } });
    expect(draft.retry.busy).toEqual({ maxAttempts: 2, backoffSeconds: 60 });
    // The window as it will run: clipped to 8:00–21:00.
    expect(draft.schedule.weekly.mon).toEqual({ from: "08:00", to: "21:00" });
  });

  it("operators, analysts and viewers may not create (403 naming who may); every member reads", async () => {
    for (const who of ["operator", "analyst", "viewer"]) {
      const res = await create(who);
      expect(res.status, who).toBe(403);
      expect(res.body.error!.message).toContain("Owners and admins may.");
    }
    for (const who of ["owner", "admin", "operator", "analyst", "viewer"]) {
      expect((await get(one, who, draft.id)).status, who).toBe(200);
    }
    const listed = await call(browserOf("viewer"), list.GET, { path: "/api/campaigns", orgId: acme });
    expect((listed.body.campaigns as CampaignView[]).map((c) => c.id)).toContain(draft.id);
  });

  it("is on the pro plan: a base organization's owner is 403 plan_required", async () => {
    const res = await create("basicOwner", basic);
    expect(res.status).toBe(403);
    expect(res.body.error!.code).toBe("plan_required");
  });

  it("another organization's campaign is 404 for every route", async () => {
    const who = "borealisOwner";
    expect((await get(one, who, draft.id, borealis)).status).toBe(404);
    expect((await call<{ id: string }>(browserOf(who), one.PATCH as never, { method: "PATCH", body: { name: "x" }, orgId: borealis, params: { id: draft.id } })).status).toBe(404);
    expect((await call<{ id: string }>(browserOf(who), one.DELETE as never, { method: "DELETE", orgId: borealis, params: { id: draft.id } })).status).toBe(404);
    for (const route of [launchRoute, pauseRoute, resumeRoute, cancelRoute]) expect((await act(route, who, draft.id, borealis)).status).toBe(404);
    for (const route of [progressRoute, resultsRoute]) expect((await get(route, who, draft.id, borealis)).status).toBe(404);
    expect((await act(evidenceRoute, who, draft.id, borealis)).status).toBe(404);
  });

  it("refuses malformed (400) and invalid (422) bodies, and oversized ones (413)", async () => {
    const raw = await as(browserOf("owner"), () => list.POST(new Request("http://127.0.0.1/api/campaigns", {
      method: "POST", headers: { "content-type": "application/json", "x-organization-id": acme, "x-forwarded-for": "198.51.100.9" }, body: "{not json",
    }), { params: Promise.resolve({}) }));
    expect(raw.status).toBe(400);
    for (const bad of [
      body({ pace: { dialsPerSecond: 0, maxLive: 1 } }),
      body({ schedule: { ...openSchedule(), endsAt: "2020-01-01T00:00:00Z" } }),
      body({ selection: { tags: [] } }),
      body({ selection: { tags: ["a"], targetIds: [] } }),
      body({ surprise: true }),
      body({ modulations: { transcribe: true, record: false } }),
    ]) {
      const res = await create("owner", acme, bad);
      expect([400, 422], JSON.stringify(bad)).toContain(res.status);
    }
    const huge = await create("owner", acme, body({ name: "x".repeat(300 * 1024) }));
    expect(huge.status).toBe(413);
  });

  it("edits and deletes drafts only; other roles 403", async () => {
    const patched = await call<{ id: string }>(browserOf("owner"), one.PATCH as never, { method: "PATCH", body: { name: "Renamed" }, orgId: acme, params: { id: draft.id } });
    expect(patched.status).toBe(200);
    expect((patched.body.campaign as CampaignView).name).toBe("Renamed");
    const byOperator = await call<{ id: string }>(browserOf("operator"), one.PATCH as never, { method: "PATCH", body: { name: "No" }, orgId: acme, params: { id: draft.id } });
    expect(byOperator.status).toBe(403);
    const del = await call<{ id: string }>(browserOf("admin"), one.DELETE as never, { method: "DELETE", orgId: acme, params: { id: draft.id } });
    expect(del.status).toBe(204);
    expect((await get(one, "owner", draft.id)).status).toBe(404);
  });
});

describe("launch, pause, resume, cancel, progress, results", () => {
  let id: string;

  it("only owners and admins launch; launching fixes the targets; launching again is 409", async () => {
    id = (campaignViewSchema.parse((await create()).body.campaign)).id;
    expect((await act(launchRoute, "operator", id)).status).toBe(403);
    const launched = await act(launchRoute, "owner", id);
    expect(launched.status).toBe(200);
    expect(launched.body.targets).toMatchObject({ pending: 2 });
    const again = await act(launchRoute, "owner", id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "campaign_state", message: "A scheduled campaign cannot be launched: it can only be started, cancelled." });
    // A launched campaign is no longer a draft: neither edited nor deleted.
    expect((await call<{ id: string }>(browserOf("owner"), one.PATCH as never, { method: "PATCH", body: { name: "x" }, orgId: acme, params: { id } })).status).toBe(409);
    expect((await call<{ id: string }>(browserOf("owner"), one.DELETE as never, { method: "DELETE", orgId: acme, params: { id } })).status).toBe(409);
  });

  it("operators pause and resume a running campaign; analysts and viewers may not; pausing twice is 409", async () => {
    expect((await act(pauseRoute, "owner", id)).status).toBe(409); // scheduled: not yet running
    await runCampaignTick({ orgId: acme, campaignId: id }, { log, reenqueue: false });
    for (const who of ["analyst", "viewer"]) expect((await act(pauseRoute, who, id)).status, who).toBe(403);
    expect((await act(pauseRoute, "operator", id)).status).toBe(200);
    const twice = await act(pauseRoute, "operator", id);
    expect(twice.status).toBe(409);
    expect(twice.body.error!.message).toContain("can only be resumed");
    expect((await act(resumeRoute, "operator", id)).status).toBe(200);
    expect((await act(cancelRoute, "operator", id)).status).toBe(403);
  });

  it("progress: targets by state, dials, pace", async () => {
    const res = await get(progressRoute, "viewer", id);
    expect(res.status).toBe(200);
    const progress = campaignProgressSchema.parse(res.body.progress);
    expect(progress.targets).toMatchObject({ total: 2, calling: 2 });
    expect(progress.outcomes).toMatchObject({ dials: 2, open: 2 });
    expect(progress.pace.asked).toBe(5);
    expect(progress.remaining).toBe(2);
    // Scores are shopper results: not for viewers.
    expect(progress.scores).toBeNull();
  });

  it("results.csv: one row per target, numbers masked for viewers, no cell a spreadsheet would run", async () => {
    const req = (who: string) => as(browserOf(who), () => resultsRoute.GET(new Request(`http://127.0.0.1/api/campaigns/${id}/results.csv`, {
      headers: { "x-organization-id": acme, "x-forwarded-for": "198.51.100.8" },
    }), { params: Promise.resolve({ id }) }));
    const owner = await req("owner");
    expect(owner.headers.get("content-type")).toContain("text/csv");
    const rows = parse(await owner.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    const formula = rows.find((r) => r.name!.includes("HYPERLINK"))!;
    expect(formula.name).toBe("'=HYPERLINK(\"x\")");
    expect(formula.number).toBe("'+14155553000");
    expect(formula.call_ids).toMatch(/^[0-9a-f-]{36}$/);
    const viewer = parse(await (await req("viewer")).text(), { columns: true }) as Record<string, string>[];
    for (const r of viewer) expect(r.number).toMatch(/^'\+1•+\d\d$/);
  });

  it("the call list filters by campaign", async () => {
    const res = await call(browserOf("analyst"), calls.GET, { path: `/api/calls?campaign=${id}`, orgId: acme });
    expect(res.status).toBe(200);
    const listed = res.body.calls as { id: string; to: string }[];
    expect(listed.map((c) => c.to).sort()).toEqual(["+14155553000", "+14155553001"]);
    const [none] = await sql()<{ n: number }[]>`select count(*)::int as n from public.calls where organization_id = ${acme} and campaign_id is null`;
    expect(none!.n).toBe(0);
    const other = await call(browserOf("analyst"), calls.GET, { path: `/api/calls?campaign=${crypto.randomUUID()}`, orgId: acme });
    expect(other.body.calls).toEqual([]);
    expect((await call(browserOf("analyst"), calls.GET, { path: "/api/calls?campaign=nope", orgId: acme })).status).toBe(400);
  });

  it("the campaign's evidence export: analysts may, operators may not; unsealed calls are 422", async () => {
    expect((await act(evidenceRoute, "operator", id)).status).toBe(403);
    const res = await act(evidenceRoute, "analyst", id);
    expect(res.status).toBe(422);
    expect(res.body.error!.code).toBe("no_sealed_calls");
  });

  it("cancel: owners and admins; a cancelled campaign is final (409)", async () => {
    expect((await act(cancelRoute, "admin", id)).status).toBe(200);
    const again = await act(cancelRoute, "admin", id);
    expect(again.status).toBe(409);
    expect(again.body.error!.message).toBe("A cancelled campaign cannot be cancelled: cancelled is final.");
  });
});
