import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import type { Role } from "@/lib/rbac/policy";
import { addMembership, claimsFor, createOrg, insertCall } from "@/tests/support/fixtures";
import { call, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The retention, hold and erasure routes as each role calls them (docs/adr/0037): who may read,
 * set policies, set and lift holds and erase (403 otherwise), another organization's ids (404),
 * malformed input (400/422) with nothing changed; and RLS on the new tables as `authenticated`.
 */
const policies = await import("@/app/api/retention/policies/route");
const preview = await import("@/app/api/retention/policies/preview/route");
const erasure = await import("@/app/api/retention/erasure/route");
const holds = await import("@/app/api/holds/route");
const release = await import("@/app/api/holds/[id]/release/route");

const ROLES: Role[] = ["owner", "admin", "operator", "analyst", "viewer"];
let acme: string;
let other: string;
let acmeCall: string;
let otherCall: string;
const people: Record<string, Awaited<ReturnType<typeof signedInUser>>> = {};

const count = async (table: string) => Number((await sql()<{ n: string }[]>`select count(*)::text as n from ${sql()(table)}`)[0]!.n);

beforeAll(async () => {
  acme = await createOrg("base");
  other = await createOrg("base");
  for (const role of ROLES) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role].userId, role);
  }
  people.otherOwner = await signedInUser();
  await addMembership(other, people.otherOwner.userId, "owner");
  acmeCall = await insertCall(acme, people.owner!.userId);
  otherCall = await insertCall(other, people.otherOwner.userId);
}, 60_000);

describe("who may do what", () => {
  it("lets owners, admins and analysts read policies and holds; operators and viewers get 403", async () => {
    for (const role of ROLES) {
      const expected = ["owner", "admin", "analyst"].includes(role) ? 200 : 403;
      expect((await call(people[role]!.browser, policies.GET, { orgId: acme })).status, role).toBe(expected);
      expect((await call(people[role]!.browser, holds.GET, { orgId: acme })).status, role).toBe(expected);
      expect((await call(people[role]!.browser, erasure.GET, { orgId: acme })).status, role).toBe(expected);
    }
  });

  it("lets only owners and admins preview policies and erase; others get 403 and nothing changes", async () => {
    const body = { policies: [{ kind: "recording", keepDays: 30 }] };
    for (const role of ROLES) {
      const expected = ["owner", "admin"].includes(role) ? 200 : 403;
      expect((await call(people[role]!.browser, preview.POST, { method: "POST", body, orgId: acme })).status, role).toBe(expected);
    }
    const before = await count("public.erasure_requests");
    for (const role of ["operator", "analyst", "viewer"]) {
      const answer = await call(people[role]!.browser, erasure.POST, { method: "POST", body: { phoneNumber: "+15550100001" }, orgId: acme });
      expect(answer.status, role).toBe(403);
    }
    expect(await count("public.erasure_requests")).toBe(before);
    const ok = await call(people.admin!.browser, erasure.POST, { method: "POST", body: { phoneNumber: "+15550100001", reason: "Subject request" }, orgId: acme });
    expect(ok.status).toBe(202);
    expect((ok.body.erasure as { erasing: string[] }).erasing).toContain(acmeCall);
    // The list says who asked, by email, as the page shows it.
    const listed = await call(people.analyst!.browser, erasure.GET, { orgId: acme });
    expect((listed.body.requests as Array<{ id: string; requestedByEmail: string | null }>).find((r) => r.id === (ok.body.erasure as { id: string }).id)?.requestedByEmail).toBe(people.admin!.email);
  });

  it("applies a policy only with its preview's token", async () => {
    const body = { policies: [{ kind: "transcript", keepDays: 90 }] };
    const p = await call(people.owner!.browser, preview.POST, { method: "POST", body, orgId: acme });
    const token = p.body.token as string;
    expect((await call(people.analyst!.browser, policies.PUT, { method: "PUT", body: { ...body, token }, orgId: acme })).status).toBe(403);
    expect((await call(people.owner!.browser, policies.PUT, { method: "PUT", body: { policies: [{ kind: "transcript", keepDays: 7 }], token }, orgId: acme })).body.error?.code).toBe("preview_stale");
    expect((await call(people.owner!.browser, policies.PUT, { method: "PUT", body: { ...body, token: "nope" }, orgId: acme })).status).toBe(400);
    const applied = await call(people.owner!.browser, policies.PUT, { method: "PUT", body: { ...body, token }, orgId: acme });
    expect(applied.status).toBe(200);
    expect((applied.body.policies as Array<{ kind: string; keepDays: number | null }>).find((x) => x.kind === "transcript")?.keepDays).toBe(90);
  });

  it("lets analysts set holds but only owners and admins lift them; another organization's ids are 404", async () => {
    for (const role of ["operator", "viewer"]) {
      expect((await call(people[role]!.browser, holds.POST, { method: "POST", body: { scope: "call", callId: acmeCall, reason: "x" }, orgId: acme })).status, role).toBe(403);
    }
    const set = await call(people.analyst!.browser, holds.POST, { method: "POST", body: { scope: "call", callId: acmeCall, reason: "Litigation" }, orgId: acme });
    expect(set.status).toBe(201);
    const holdId = (set.body.hold as { id: string }).id;
    expect((await call(people.analyst!.browser, holds.POST, { method: "POST", body: { scope: "call", callId: otherCall, reason: "x" }, orgId: acme })).status).toBe(404);
    expect((await call(people.analyst!.browser, holds.POST, { method: "POST", body: { scope: "campaign", campaignId: randomUUID(), reason: "x" }, orgId: acme })).status).toBe(404);

    const lift = (who: string, id: string, org = acme) => call<{ id: string }>(people[who]!.browser, release.POST, { method: "POST", body: { reason: "Closed" }, orgId: org, params: { id } });
    expect((await lift("analyst", holdId)).status).toBe(403);
    expect((await lift("otherOwner", holdId, other)).status).toBe(404);
    expect((await lift("admin", holdId)).status).toBe(200);
    // Who set and who lifted it, by email, as the page shows them.
    const listed = await call(people.analyst!.browser, holds.GET, { orgId: acme });
    expect((listed.body.holds as Array<{ id: string }>).find((h) => h.id === holdId)).toMatchObject({ setByEmail: people.analyst!.email, releasedByEmail: people.admin!.email, calls: 1 });
    expect((await lift("owner", holdId)).body.error?.code).toBe("already_released");
  });

  it("refuses malformed input with 400 or 422 and changes nothing", async () => {
    const before = await count("public.legal_holds");
    const send = (body: unknown) => call(people.owner!.browser, holds.POST, { method: "POST", body, orgId: acme });
    expect((await send({ scope: "call", callId: "not-a-uuid", reason: "x" })).status).toBe(400);
    expect((await send({ scope: "call", callId: acmeCall, reason: "   " })).status).toBe(400);
    expect((await send({ scope: "everything", reason: "x" })).status).toBe(400);
    expect((await send({ scope: "filter", filter: "colour=blue", reason: "x" })).status).toBe(422);
    expect((await send({ scope: "filter", filter: "status=exploded", reason: "x" })).status).toBe(422);
    expect(await count("public.legal_holds")).toBe(before);
    expect((await call(people.owner!.browser, preview.POST, { method: "POST", body: { policies: [{ kind: "recording", keepDays: 0 }] }, orgId: acme })).status).toBe(400);
    expect((await call(people.owner!.browser, erasure.POST, { method: "POST", body: { phoneNumber: "555-0100" }, orgId: acme })).status).toBe(400);
  });
});

describe("RLS on the new tables", () => {
  it("shows holds, policies, requests and deletions only to their organization's readers, and lets no member write", async () => {
    await asService((tx) => tx`insert into public.legal_holds (organization_id, scope, call_id, reason, set_by) values (${acme}, 'call', ${acmeCall}, 'rls', ${people.owner!.userId})`);
    const visible = async (userId: string) =>
      withUser(claimsFor(userId), async (tx) => ({
        holds: (await tx`select 1 from public.legal_holds where organization_id = ${acme}`).length,
        requests: (await tx`select 1 from public.erasure_requests where organization_id = ${acme}`).length,
        policies: (await tx`select 1 from public.retention_policies where organization_id = ${acme}`).length,
      }));
    expect((await visible(people.analyst!.userId)).holds).toBeGreaterThan(0);
    expect((await visible(people.analyst!.userId)).requests).toBeGreaterThan(0);
    expect((await visible(people.analyst!.userId)).policies).toBeGreaterThan(0);
    for (const who of ["operator", "viewer", "otherOwner"]) expect(await visible(people[who]!.userId), who).toEqual({ holds: 0, requests: 0, policies: 0 });

    for (const statement of [
      (tx: Parameters<Parameters<typeof withUser>[1]>[0]) => tx`insert into public.legal_holds (organization_id, scope, call_id, reason, set_by) values (${acme}, 'call', ${acmeCall}, 'x', ${people.owner!.userId})`,
      (tx: Parameters<Parameters<typeof withUser>[1]>[0]) => tx`update public.legal_holds set released_at = now() where organization_id = ${acme}`,
      (tx: Parameters<Parameters<typeof withUser>[1]>[0]) => tx`insert into public.retention_policies (organization_id, kind, keep_days) values (${acme}, 'score', 1)`,
      (tx: Parameters<Parameters<typeof withUser>[1]>[0]) => tx`delete from public.recordings where organization_id = ${acme}`,
      (tx: Parameters<Parameters<typeof withUser>[1]>[0]) => tx`select private.call_held(${acme}, ${acmeCall})`,
    ]) {
      await expect(withUser(claimsFor(people.owner!.userId), statement)).rejects.toThrow(/permission denied/);
    }
  });
});
