import { beforeAll, describe, expect, it, vi } from "vitest";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { withWebhookKeysDir } from "@/tests/support/outbound";
import { addMembership, claimsFor, createOrg, insertCall } from "@/tests/support/fixtures";
import { call, signedInUser, type Browser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * /api/outbound-webhooks through its routes (memberRoute: session, organization, role) on real
 * Postgres with RLS: owners and admins manage (webhooks.manage), every other role is 403 on
 * every route; another organization's ids are 404 and change nothing; malformed bodies are 400,
 * refused URLs 422 with the reason, and nothing is stored; the secret is shown once; members
 * never read a sealed secret, even with SQL of their own.
 */
const list = await import("@/app/api/outbound-webhooks/endpoints/route");
const one = await import("@/app/api/outbound-webhooks/endpoints/[id]/route");
const rotate = await import("@/app/api/outbound-webhooks/endpoints/[id]/rotate-secret/route");
const deliveries = await import("@/app/api/outbound-webhooks/deliveries/route");
const replay = await import("@/app/api/outbound-webhooks/deliveries/[id]/replay/route");

withWebhookKeysDir();
let acme: string;
let borealis: string;
const people: Record<string, { userId: string; browser: Browser }> = {};
const as = (who: string) => people[who]!.browser;

beforeAll(async () => {
  acme = await createOrg("base");
  borealis = await createOrg("base");
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role]!.userId, role);
  }
  people.borealisOwner = await signedInUser();
  await addMembership(borealis, people.borealisOwner.userId, "owner");
});


const hook = { url: "http://127.0.0.1:9/hooks/verbatim", description: "CRM", eventTypes: ["call.completed", "manifest.sealed"] };
const counts = async () => {
  const [row] = await sql()<{ endpoints: number; secrets: number }[]>`
    select (select count(*)::int from public.webhook_endpoints) as endpoints, (select count(*)::int from public.webhook_endpoint_secrets) as secrets`;
  return row!;
};

async function create(who: string, orgId: string, body: unknown = hook) {
  return call(as(who), list.POST, { method: "POST", body, orgId });
}

describe("endpoints", () => {
  it("owners and admins add one, see the secret once, and list it without", async () => {
    for (const who of ["owner", "admin"]) {
      const res = await create(who, acme);
      expect(res.status).toBe(201);
      expect(res.body.secret).toMatch(/^whsec_/);
      const id = (res.body.endpoint as { id: string }).id;
      const listed = await call(as(who), list.GET, { orgId: acme });
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(res.body.secret as string);
      const got = await call(as(who), one.GET, { orgId: acme, params: { id } });
      expect(got.body.endpoint).toMatchObject({ url: hook.url, eventTypes: hook.eventTypes, enabled: true, disabledReason: null });
      expect(JSON.stringify(got.body)).not.toContain(res.body.secret as string);
    }
  });

  it("is 403 for operators, analysts and viewers on every route, and nothing changes", async () => {
    const made = await create("owner", acme);
    const id = (made.body.endpoint as { id: string }).id;
    const before = await counts();
    for (const who of ["operator", "analyst", "viewer"]) {
      const answers = [
        await call(as(who), list.GET, { orgId: acme }),
        await create(who, acme),
        await call(as(who), one.GET, { orgId: acme, params: { id } }),
        await call(as(who), one.PATCH, { method: "PATCH", orgId: acme, params: { id }, body: { enabled: false } }),
        await call(as(who), one.DELETE, { method: "DELETE", orgId: acme, params: { id } }),
        await call(as(who), rotate.POST, { method: "POST", orgId: acme, params: { id } }),
        await call(as(who), deliveries.GET, { orgId: acme }),
        await call(as(who), replay.POST, { method: "POST", orgId: acme, params: { id } }),
      ];
      for (const answer of answers) {
        expect(answer.status, who).toBe(403);
        expect(answer.body.error?.message).toContain("Owners and admins");
      }
    }
    expect(await counts()).toEqual(before);
    const [row] = await sql()<{ enabled: boolean }[]>`select enabled from public.webhook_endpoints where id = ${id}`;
    expect(row!.enabled).toBe(true);
  });

  it("answers 404 for another organization's endpoint or delivery, and changes nothing", async () => {
    const made = await create("owner", acme);
    const id = (made.body.endpoint as { id: string }).id;
    const callId = await insertCall(acme, people.owner!.userId);
    await asService((tx) => tx`update public.calls set status = 'completed' where id = ${callId}`);
    const [delivery] = await sql()<{ id: string }[]>`select id from public.webhook_deliveries where endpoint_id = ${id}`;
    await sql()`update public.webhook_deliveries set status = 'delivered', finished_at = now() where id = ${delivery!.id}`;
    const before = await counts();
    const other = as("borealisOwner");
    expect((await call(other, one.GET, { orgId: borealis, params: { id } })).status).toBe(404);
    expect((await call(other, one.PATCH, { method: "PATCH", orgId: borealis, params: { id }, body: { enabled: false } })).status).toBe(404);
    expect((await call(other, one.DELETE, { method: "DELETE", orgId: borealis, params: { id } })).status).toBe(404);
    expect((await call(other, rotate.POST, { method: "POST", orgId: borealis, params: { id } })).status).toBe(404);
    expect((await call(other, replay.POST, { method: "POST", orgId: borealis, params: { id: delivery!.id } })).status).toBe(404);
    // Naming the other organization in the header is 404 too (not a member there).
    expect((await call(other, one.GET, { orgId: acme, params: { id } })).status).toBe(404);
    const theirs = await call(other, deliveries.GET, { orgId: borealis });
    expect(theirs.body.deliveries).toEqual([]);
    expect((await call(other, list.GET, { orgId: borealis })).body.endpoints).toEqual([]);
    expect(await counts()).toEqual(before);
    const [row] = await sql()<{ enabled: boolean; status: string }[]>`
      select e.enabled, d.status from public.webhook_endpoints e join public.webhook_deliveries d on d.endpoint_id = e.id where e.id = ${id}`;
    expect(row).toEqual({ enabled: true, status: "delivered" });

    // Their own owner sees the delivery in the log and replays it; a pending one is 409.
    const log = await call(as("owner"), deliveries.GET, { orgId: acme, path: `/api/outbound-webhooks/deliveries?endpoint=${id}` });
    expect(log.status).toBe(200);
    expect((await call(as("owner"), replay.POST, { method: "POST", orgId: acme, params: { id: delivery!.id } })).status).toBe(202);
    const again = await call(as("owner"), replay.POST, { method: "POST", orgId: acme, params: { id: delivery!.id } });
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe("delivery_pending");
  });

  it("refuses private, hostile and malformed input with 422 or 400, storing nothing", async () => {
    const before = await counts();
    for (const url of ["https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/", "https://2130706433/", "https://user:pw@hooks.example.com/", "http://hooks.example.com/", "https://hooks.example.com:22/"]) {
      const res = await create("owner", acme, { ...hook, url });
      expect(res.status, url).toBe(422);
      expect(res.body.error?.code).toBe("endpoint_url_refused");
      expect(res.body.error?.message.length).toBeGreaterThan(10);
    }
    for (const body of [{ ...hook, eventTypes: [] }, { ...hook, eventTypes: ["call.exploded"] }, { ...hook, extra: 1 }, { url: 5, eventTypes: ["call.completed"] }, { ...hook, description: "x".repeat(501) }]) {
      expect((await create("owner", acme, body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await call(as("owner"), one.PATCH, { method: "PATCH", orgId: acme, params: { id: "not-a-uuid" }, body: { enabled: false } })).status).toBe(404);
    expect(await counts()).toEqual(before);

    const made = await create("owner", acme);
    const id = (made.body.endpoint as { id: string }).id;
    const refused = await call(as("owner"), one.PATCH, { method: "PATCH", orgId: acme, params: { id }, body: { url: "https://192.168.1.10/x" } });
    expect(refused.status).toBe(422);
    expect((await call(as("owner"), one.PATCH, { method: "PATCH", orgId: acme, params: { id }, body: {} })).status).toBe(400);
    const [row] = await sql()<{ url: string }[]>`select url from public.webhook_endpoints where id = ${id}`;
    expect(row!.url).toBe(hook.url);
  });

  it("turns off with a reason, on again without one; rotates with overlap; deletes", async () => {
    const made = await create("admin", acme);
    const id = (made.body.endpoint as { id: string }).id;
    const off = await call(as("admin"), one.PATCH, { method: "PATCH", orgId: acme, params: { id }, body: { enabled: false } });
    expect(off.body.endpoint).toMatchObject({ enabled: false, disabledReason: "Turned off by an owner or admin." });
    const on = await call(as("admin"), one.PATCH, { method: "PATCH", orgId: acme, params: { id }, body: { enabled: true } });
    expect(on.body.endpoint).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    const rotated = await call(as("admin"), rotate.POST, { method: "POST", orgId: acme, params: { id }, body: { overlapSeconds: 600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(made.body.secret);
    const secrets = (rotated.body.endpoint as { secrets: { expiresAt: string | null }[] }).secrets;
    expect(secrets).toHaveLength(2);
    expect(secrets.filter((s) => s.expiresAt === null)).toHaveLength(1);
    expect((await call(as("admin"), one.DELETE, { method: "DELETE", orgId: acme, params: { id } })).status).toBe(204);
    expect((await call(as("admin"), one.GET, { orgId: acme, params: { id } })).status).toBe(404);
  });
});

describe("RLS on the webhook tables", () => {
  it("lets only owners and admins read, and nobody read a sealed secret", async () => {
    await create("owner", acme);
    for (const role of ["operator", "analyst", "viewer"]) {
      const rows = await withUser(claimsFor(people[role]!.userId), (tx) => tx`
        select (select count(*) from public.webhook_endpoints) + (select count(*) from public.webhook_events)
             + (select count(*) from public.webhook_deliveries) + (select count(*) from public.webhook_endpoint_secrets)
             + (select count(*) from public.webhook_delivery_attempts) as n`);
      expect(Number(rows[0]!.n), role).toBe(0);
    }
    const owner = claimsFor(people.owner!.userId);
    const [visible] = await withUser(owner, (tx) => tx<{ n: number }[]>`select count(*)::int as n from public.webhook_endpoints`);
    expect(visible!.n).toBeGreaterThan(0);
    await expect(withUser(owner, (tx) => tx`select sealed from public.webhook_endpoint_secrets`)).rejects.toThrow(/permission denied/);
    // A member cannot forge an event or a delivery.
    await expect(withUser(owner, (tx) => tx`select private.emit_webhook_event(${acme}::uuid, 'call.completed', '{}'::jsonb, 'forged')`)).rejects.toThrow(/permission denied/);
    await expect(withUser(owner, (tx) => tx`insert into public.webhook_events (organization_id, type, data, dedupe) values (${acme}, 'call.completed', '{}', 'x')`)).rejects.toThrow(/permission denied/);
    // Nor add an endpoint to another organization, even with SQL of their own.
    await expect(withUser(owner, (tx) => tx`
      insert into public.webhook_endpoints (organization_id, url, event_types, created_by) values (${borealis}, 'https://hooks.example.com/', '{call.completed}', ${people.owner!.userId})`)).rejects.toThrow(/row-level security/);
  });
});
