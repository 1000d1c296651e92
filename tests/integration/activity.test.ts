import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { ActivityEvent, ActivityResponse } from "@/lib/activity/contracts";
import { maskNumber } from "@/lib/calls/call-view";
import { appendCallEvent } from "@/lib/calls/timeline";
import { asService } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, createOrg, insertCall } from "@/tests/support/fixtures";
import { call, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The organization's activity feed through the real route, as each role, under RLS: call
 * events with the call's number (masked for viewers), sealed manifests and custody events for
 * those who may export evidence, nothing of another organization, newest first, keyset pages.
 */
const activity = await import("@/app/api/activity/route");

type User = Awaited<ReturnType<typeof signedInUser>>;
const ROLES: Role[] = ["owner", "admin", "operator", "analyst", "viewer"];
const TO = "+15550100001";

let orgId: string;
let otherOrg: string;
let users: Record<Role, User>;
let callId: string;
let otherCall: string;

async function sealManifest(org: string, call: string, at: string): Promise<string> {
  const [row] = await sql()<{ id: string }[]>`
    insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid, sealed_at)
    values (${org}, ${call}, 1, '{}'::jsonb, ${"a".repeat(64)}, 'a..c', 'test-key', ${at}::timestamptz) returning id`;
  return row!.id;
}

async function custody(org: string, call: string, action: "manifest.sealed" | "evidence.viewed" | "evidence.exported" | "evidence.verified", actor: string | null) {
  await asService((tx) => appendCustodyEvent(tx, { orgId: org, actorUserId: actor, action, callId: call, manifestId: null, sha256: null, requestId: null }));
}

const feed = async (who: User, query = "", org = orgId) => {
  const res = await call(who.browser, activity.GET, { path: `/api/activity${query}`, orgId: org });
  return res as { status: number; body: ActivityResponse & { error?: { code: string } } };
};

beforeAll(async () => {
  orgId = await createOrg("global");
  otherOrg = await createOrg("global");
  users = {} as Record<Role, User>;
  for (const role of ROLES) {
    users[role] = await signedInUser();
    await addMembership(orgId, users[role].userId, role);
  }
  const stranger = await signedInUser();
  await addMembership(otherOrg, stranger.userId, "owner");
  callId = await insertCall(orgId, users.operator.userId);
  otherCall = await insertCall(otherOrg, stranger.userId);
  await asService(async (tx) => {
    await appendCallEvent(tx, { id: callId, orgId }, "call.dialled", { CallSid: "CA1" }, { dedupeKey: "d", occurredAt: new Date("2026-11-29T10:00:00Z") });
    await appendCallEvent(tx, { id: callId, orgId }, "provider.status", { CallStatus: "completed", CallDuration: "12" }, { dedupeKey: "s", occurredAt: new Date("2026-11-29T10:01:00Z") });
    await appendCallEvent(tx, { id: callId, orgId }, "score.stored", {
      artifactId: randomUUID(), sha256: "b".repeat(64), rubric: { id: "r", version: 2 }, score: 0.5, counts: { pass: 1, fail: 1, no_evidence: 0 },
    }, { dedupeKey: "score", occurredAt: new Date("2026-11-29T10:02:00Z") });
    await appendCallEvent(tx, { id: callId, orgId }, "call.dial_failed", { code: "21211", message: `The 'To' number ${TO} is not valid.` }, { dedupeKey: "f", occurredAt: new Date("2026-11-29T09:59:00Z") });
    await appendCallEvent(tx, { id: otherCall, orgId: otherOrg }, "call.dialled", { CallSid: "CA2" }, { dedupeKey: "d", occurredAt: new Date("2026-11-29T10:00:30Z") });
  });
  await sealManifest(orgId, callId, "2026-11-29T10:03:00Z");
  await sealManifest(otherOrg, otherCall, "2026-11-29T10:03:00Z");
  await custody(orgId, callId, "manifest.sealed", null);
  await custody(orgId, callId, "evidence.exported", users.analyst.userId);
  await custody(otherOrg, otherCall, "evidence.viewed", stranger.userId);
});

const kinds = (events: ActivityEvent[]) => events.map((e) => e.kind);

describe("what each role sees", () => {
  it("owners, admins and analysts: call events, the sealed manifest and custody acts, newest first, numbers in full", async () => {
    for (const role of ["owner", "admin", "analyst"] as const) {
      const { status, body } = await feed(users[role]);
      expect(status, role).toBe(200);
      // The custody event was appended just now (its time is the server's clock), so it is newest.
      expect(kinds(body.events), role).toEqual(["evidence.exported", "manifest.sealed", "score.stored", "provider.status", "call.dialled", "call.dial_failed"]);
      expect(body.events.every((e) => e.callId === callId && e.number === TO), role).toBe(true);
      expect(body.events.map((e) => e.label), role).toEqual(["Custody", "Evidence", "Call", "Call", "Call", "Call"]);
      expect(body.events.map((e) => e.summary), role).toEqual([
        "Evidence exported", "Evidence sealed (manifest version 1)",
        "Shopper score 50% (rubric v2: 1 pass, 1 fail, 0 no evidence)", "Call completed after 12s", "Dialled", `The 'To' number ${TO} is not valid.`,
      ]);
      expect(body.nextBefore).toBeNull();
    }
  });

  it("operators: the calls' events, numbers in full; no evidence or custody events (they may not export evidence)", async () => {
    const { body } = await feed(users.operator);
    expect(kinds(body.events)).toEqual(["score.stored", "provider.status", "call.dialled", "call.dial_failed"]);
    expect(body.events[0]!.number).toBe(TO);
  });

  it("viewers: numbers masked as the call list masks them, no results, no evidence", async () => {
    const { body } = await feed(users.viewer);
    expect(kinds(body.events)).toEqual(["score.stored", "provider.status", "call.dialled", "call.dial_failed"]);
    expect(body.events.every((e) => e.number === maskNumber(TO))).toBe(true);
    expect(body.events.at(-1)!.summary).toBe(`The 'To' number ${maskNumber(TO)} is not valid.`);
    expect(JSON.stringify(body)).not.toContain(TO);
    expect(body.events[0]!.summary).toBe("Shopper score stored");
    expect(JSON.stringify(body)).not.toContain("50%");
  });
});

describe("other organizations", () => {
  it("never shows another organization's events, and naming it is 404", async () => {
    for (const role of ROLES) {
      const { body } = await feed(users[role]);
      expect(JSON.stringify(body)).not.toContain(otherCall);
      expect((await feed(users[role], "", otherOrg)).status).toBe(404);
    }
  });
});

describe("pages", () => {
  it("walks every event once, newest first, across sources with equal times", async () => {
    const org = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const c = await insertCall(org, owner.userId);
    const same = "2026-11-30T12:00:00.000001Z";
    await asService(async (tx) => {
      for (let i = 0; i < 12; i++) {
        await appendCallEvent(tx, { id: c, orgId: org }, "call.dialled", { CallSid: `CA${i}` }, { dedupeKey: `k${i}`, occurredAt: new Date(i < 8 ? same : `2026-11-30T11:00:0${i - 8}Z`) });
      }
    });
    await sealManifest(org, c, same);
    const all = (await feed(owner, "?limit=100", org)).body.events;
    expect(all).toHaveLength(13);
    const seen: ActivityEvent[] = [];
    let before: string | null = null;
    do {
      const page: { body: ActivityResponse } = await feed(owner, `?limit=3${before ? `&before=${encodeURIComponent(before)}` : ""}`, org);
      expect(page.body.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.events);
      before = page.body.nextBefore;
    } while (before);
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(13);
    const times = seen.map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("refuses cursors it did not give out and limits out of range (400)", async () => {
    for (const query of ["?before=nonsense", `?before=${Buffer.from('["x","call","1"]').toString("base64url")}`, "?limit=0", "?limit=101", "?limit=abc"]) {
      const res = await feed(users.owner, query);
      expect(res.status, query).toBe(400);
      expect(res.body.error!.code).toBe("invalid_request");
    }
  });
});

describe("at scale", () => {
  it("reads a page of an organization with 100k events by index, first page and deep", async () => {
    const org = await createOrg("global");
    const owner = await signedInUser();
    await addMembership(org, owner.userId, "owner");
    const c = await insertCall(org, owner.userId);
    // Straight into the table (a fixture, not the app's writer): 100k events over ~28 hours.
    await sql()`
      insert into public.call_events (organization_id, call_id, kind, dedupe_key, payload, occurred_at)
      select ${org}, ${c}, 'call.dialled', 'bulk-' || g, jsonb_build_object('CallSid', 'CA' || g), timestamptz '2026-11-01' + g * interval '1 second'
      from generate_series(1, 100000) g`;
    await sql()`analyze public.call_events`;
    const first = Date.now();
    const page1 = await feed(owner, "?limit=50", org);
    const firstMs = Date.now() - first;
    expect(page1.body.events).toHaveLength(50);
    let before = page1.body.nextBefore!;
    for (let i = 0; i < 20; i++) before = (await feed(owner, `?limit=50&before=${encodeURIComponent(before)}`, org)).body.nextBefore!;
    const deep = Date.now();
    const page = await feed(owner, `?limit=50&before=${encodeURIComponent(before)}`, org);
    const deepMs = Date.now() - deep;
    expect(page.body.events).toHaveLength(50);
    console.info(`activity feed, 100k events: first page ${firstMs} ms, page 22 ${deepMs} ms`);
    const plan = await sql()<{ "QUERY PLAN": string }[]>`
      explain select e.id from public.call_events e
      where e.organization_id = ${org} and e.occurred_at <= '2026-11-01T12:00:00Z'
        and (e.occurred_at, 'call'::text, lpad(e.id::text, 20, '0')) < ('2026-11-01T12:00:00Z'::timestamptz, 'call'::text, '00000000000000000000'::text)
      order by e.occurred_at desc, e.id desc limit 51`;
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).toContain("call_events_org_occurred_idx");
    expect(text).not.toMatch(/Sort|Seq Scan/);
  });
});

describe("live", () => {
  it("announces sealed manifests and custody events to the organization's channel, ids only", async () => {
    const notices: Record<string, unknown>[] = [];
    const listener = await sql().listen("verbatim_realtime", (payload) => notices.push(JSON.parse(payload) as Record<string, unknown>));
    try {
      // Only this organization's: other test files announce their own organizations' changes meanwhile.
      const ours = () => notices.filter((n) => n.org === orgId);
      const c = await insertCall(orgId, users.operator.userId);
      // The call's own notice arrives asynchronously: wait for it before counting what follows.
      await expect.poll(() => ours().length, { timeout: 5_000 }).toBe(1);
      notices.length = 0;
      await sealManifest(orgId, c, new Date().toISOString());
      await custody(orgId, c, "evidence.viewed", users.owner.userId);
      await expect.poll(() => ours().length, { timeout: 5_000 }).toBe(2);
      expect(ours()).toEqual([{ org: orgId, topic: "calls", callId: c }, { org: orgId, topic: "calls", callId: c }]);
    } finally {
      await listener.unlisten();
    }
  });
});
