import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { asService } from "@/lib/db";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import type { CallDetail } from "@/lib/calls/contracts";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, useEvidenceDirs } from "@/tests/support/evidence-dirs";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The call detail's timeline parts (issue 11): the sealed manifest versions with their place in
 * the organization's log, and the custody record, read under RLS in the detail's one
 * transaction. Owners, admins and analysts (evidence.export) see them; operators and viewers
 * get null, not an empty list that would claim there is no evidence. Another organization's
 * call stays 404 whoever asks.
 */
const { GET: detailRoute } = await import("@/app/api/calls/[id]/route");
const log = pino({ level: "silent" });

type Member = Awaited<ReturnType<typeof signedInUser>>;
let dir: string;
let orgId: string;
let otherOrgId: string;
let callId: string;
let unsealedCallId: string;
const members = {} as Record<Role, Member>;
let outsider: Member;

async function completedCall(org: string, createdBy: string): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${org}, ${createdBy}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: false, transcribe: false, disclosure: null } as never)},
            'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, ${new Date(Date.now() - 60_000)}, ${new Date()}, 42)
    returning id`);
  return row!.id;
}

const detail = async (who: Member, id: string, org = orgId) =>
  call(who.browser, detailRoute, { path: `/api/calls/${id}`, params: { id }, orgId: org });

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-detail-");
  orgId = await createOrg("global");
  otherOrgId = await createOrg("global");
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
    members[role] = await signedInUser();
    await addMembership(orgId, members[role].userId, role);
  }
  outsider = await signedInUser();
  await addMembership(otherOrgId, outsider.userId, "owner");
  callId = await completedCall(orgId, members.operator.userId);
  unsealedCallId = await completedCall(orgId, members.operator.userId);
  expect((await sealCall({ orgId, callId }, { log })).outcome).toBe("sealed");
  // An analyst viewed the evidence (what GET …/evidence/versions records).
  const [manifest] = await asService((tx) => tx<{ id: string; sha: string }[]>`
    select id, manifest_sha256 as sha from public.evidence_manifests where call_id = ${callId}`);
  await asService((tx) => appendCustodyEvent(tx, {
    orgId, actorUserId: members.analyst.userId, action: "evidence.viewed", callId, manifestId: manifest!.id, sha256: manifest!.sha, requestId: "req-test",
  }));
}, 60_000);

afterAll(() => clearEvidenceDirs(dir));

describe("GET /api/calls/:id: manifests and custody for the timeline", () => {
  for (const role of ["owner", "admin", "analyst"] as const) {
    it(`${role}s see every sealed version with its log index, and the custody record`, async () => {
      const res = await detail(members[role], callId);
      expect(res.status).toBe(200);
      const c = res.body.call as CallDetail;
      expect(c.manifests).toHaveLength(1);
      expect(c.manifests![0]).toMatchObject({ version: 1, logIndex: expect.any(Number) });
      expect(c.manifests![0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(c.manifests![0]!.issuedAt)).not.toBeNaN();
      expect(c.custody!.map((e) => e.kind)).toEqual(["manifest.sealed", "evidence.viewed"]);
      expect(c.custody![0]).toMatchObject({ actorUserId: null, actorEmail: null, sha256: c.manifests![0]!.sha256 });
      expect(c.custody![1]).toMatchObject({ actorUserId: members.analyst.userId, actorEmail: members.analyst.email, sha256: c.manifests![0]!.sha256 });
      for (const e of c.custody!) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it("an unsealed call answers empty lists (nothing sealed yet), not null", async () => {
    const c = (await detail(members.analyst, unsealedCallId)).body.call as CallDetail;
    expect(c.manifests).toEqual([]);
    expect(c.custody).toEqual([]);
  });

  for (const role of ["operator", "viewer"] as const) {
    it(`${role}s get null for both, and still the call and its events`, async () => {
      const res = await detail(members[role], callId);
      expect(res.status).toBe(200);
      const c = res.body.call as CallDetail;
      expect(c.id).toBe(callId);
      expect(c.manifests).toBeNull();
      expect(c.custody).toBeNull();
    });
  }

  it("another organization's call is 404 for its owner, with their own organization named", async () => {
    const res = await detail(outsider, callId, otherOrgId);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain("manifest");
  });

  it("naming the call's organization without being a member of it does not help", async () => {
    const res = await detail(outsider, callId, orgId);
    expect([403, 404]).toContain(res.status);
    expect(res.body.call).toBeUndefined();
  });

  it("an unknown or malformed id is 404", async () => {
    expect((await detail(members.owner, randomUUID())).status).toBe(404);
    expect((await detail(members.owner, "not-a-uuid")).status).toBe(404);
  });
});
