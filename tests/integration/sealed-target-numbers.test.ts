import { beforeAll, describe, expect, it, vi } from "vitest";
import pino from "pino";
import { maskNumber } from "@/lib/calls/call-view";
import { callNumberColumns } from "@/lib/calls/numbers";
import { placeCall } from "@/lib/calls/place-call";
import { campaignResults } from "@/lib/campaigns/queries";
import { asService } from "@/lib/db";
import { sessionFromClaims } from "@/lib/db/claims";
import { sql } from "@/lib/db/client";
import { UnprocessableError } from "@/lib/errors";
import { numberHash } from "@/lib/pii/numbers";
import { resealNumbers } from "@/lib/pii/reseal";
import { authorize } from "@/lib/rbac/authorize";
import type { ImportPreview, TargetListResponse, TargetView } from "@/lib/targets/contracts";
import { draft, launch, openSchedule } from "@/tests/support/campaigns";
import { addMembership, claimsFor, createOrg } from "@/tests/support/fixtures";
import { as, call, signedInUser, type Browser } from "@/tests/support/member-requests";
import { withNumberKeysDir } from "@/tests/support/number-keys";
import { configureSignalWire } from "@/tests/support/signalwire";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Issue 22 outside the calls table (docs/adr/0044): saved targets, a campaign's copies, erasure
 * requests and the voice config store their numbers sealed, with the keyed hash where a number is
 * looked up. Written through the API, no column holds the number; do-not-call, duplicates on
 * import, search and erasure still find it through the hash; viewers still see it masked; and a
 * row written in E.164 before (by SQL) is sealed by the re-sealing pass and reads back the same.
 */
withNumberKeysDir();
const targets = await import("@/app/api/voice/targets/route");
const importRoute = await import("@/app/api/voice/targets/import/route");
const erasureRoute = await import("@/app/api/retention/erasure/route");
const voiceConfigRoute = await import("@/app/api/voice-config/route");

const log = pino({ level: "silent" });
let acme: string;
const people: Record<string, { userId: string; browser: Browser }> = {};
const browserOf = (who: string) => people[who]!.browser;
const claimsOf = (who: string) => claimsFor(people[who]!.userId);

/** A stored value that is sealed and holds none of the number's digits. */
function expectSealed(stored: string | null, e164: string): void {
  expect(stored).toMatch(/^pn1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  expect(stored).not.toContain(e164.slice(-7));
}

const listed = async (who: string, q = "") =>
  ((await call(browserOf(who), targets.GET, { path: `/api/voice/targets${q ? `?q=${encodeURIComponent(q)}` : ""}`, orgId: acme })).body as unknown as TargetListResponse).targets;

beforeAll(async () => {
  // A campaign needs telephony configured to be drafted; nothing here dials.
  configureSignalWire();
  acme = await createOrg("global");
  for (const role of ["owner", "operator", "viewer"] as const) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role]!.userId, role);
  }
  await sql()`insert into public.voice_configs (organization_id) values (${acme})`;
});

describe("numbers written through the API", () => {
  it("a saved target keeps its number sealed with its hash, found by the whole number, masked for viewers", async () => {
    const number = "+12125550140";
    const res = await call(browserOf("owner"), targets.POST, { method: "POST", path: "/api/voice/targets", orgId: acme, body: { name: "Sealed Clinic", number, tags: ["sealed"] } });
    expect(res.status).toBe(201);
    const id = (res.body.target as TargetView).id;
    const [row] = await sql()<{ number: string; number_hash: string }[]>`select number, number_hash from public.voice_targets where id = ${id}`;
    expectSealed(row!.number, number);
    expect(row!.number_hash).toBe(await numberHash(acme, number));
    expect((await listed("owner", "+1 (212) 555-0140")).map((t) => [t.id, t.number])).toEqual([[id, number]]);
    expect((await listed("viewer")).find((t) => t.id === id)!.number).toBe(maskNumber(number));
    expect(await listed("viewer", number)).toEqual([]);
    // The same number again, typed otherwise: a duplicate, through the hash.
    const again = await call(browserOf("owner"), targets.POST, { method: "POST", path: "/api/voice/targets", orgId: acme, body: { name: "Again", number: "+1 212 555 0140" } });
    expect(again.status).toBe(409);
  });

  it("an import refuses a number already saved, and stores what it saves sealed", async () => {
    const csv = "name,number,time_zone\r\nSealed Again,+12125550140,\r\nImported,+12125550141,\r\n";
    const importCsv = async (query: string) => {
      const req = new Request(`http://127.0.0.1/api/voice/targets/import?${query}`, {
        method: "POST", body: csv, headers: { "content-type": "text/csv", "x-organization-id": acme, "x-forwarded-for": "198.51.100.9" },
      });
      const res = await as(browserOf("owner"), () => importRoute.POST(req, { params: Promise.resolve({}) }));
      return { status: res.status, body: (await res.json()) as ImportPreview };
    };
    const preview = await importCsv("mode=preview");
    expect(preview.body.refused.map((r) => [r.row, r.code])).toEqual([[2, "already_saved"]]);
    expect((await importCsv(`mode=commit&token=${preview.body.token}`)).status).toBe(201);
    const [row] = await sql()<{ number: string }[]>`select number from public.voice_targets where organization_id = ${acme} and name = 'Imported'`;
    expectSealed(row!.number, "+12125550141");
  });

  it("a number marked do-not-call is refused when typed by hand, found through the hash", async () => {
    const number = "+12125550142";
    const saved = await call(browserOf("owner"), targets.POST, { method: "POST", path: "/api/voice/targets", orgId: acme, body: { name: "Do Not Call Me", number, dnc: true } });
    expect(saved.status).toBe(201);
    const session = sessionFromClaims(claimsOf("operator"));
    const refused = await placeCall(session, await authorize(session, "calls.place", acme), { to: "+1 212-555-0142" }, "sealed-dnc-1", log).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnprocessableError);
    expect((refused as UnprocessableError).code).toBe("do_not_call");
    expect((refused as Error).message).toContain("Do Not Call Me");
  });

  it("a campaign's copies are sealed; its results show the number to the owner and masked to a viewer", async () => {
    const owner = { userId: people.owner!.userId, claims: claimsOf("owner") };
    const campaign = await draft(owner.claims, acme, { name: "Sealed campaign", selection: { tags: ["sealed"] }, schedule: openSchedule(), pace: { dialsPerSecond: 1, maxLive: 1 } });
    await launch(owner.claims, acme, campaign.id);
    const copies = await sql()<{ number: string }[]>`select number from public.campaign_targets where campaign_id = ${campaign.id}`;
    expect(copies).toHaveLength(1);
    expectSealed(copies[0]!.number, "+12125550140");
    const results = (numbers: boolean) => asService((tx) => campaignResults(tx, { orgId: acme, id: campaign.id, numbers, scores: false }));
    expect((await results(true)).map((r) => r.number)).toEqual(["+12125550140"]);
    expect((await results(false)).map((r) => r.number)).toEqual([maskNumber("+12125550140")]);
  });

  it("an erasure request keeps the number sealed and finds a call whose numbers are sealed, by the hash", async () => {
    const subject = "+13125550143";
    const [callRow] = await asService(async (tx) => tx<{ id: string }[]>`
      insert into public.calls ${tx({
        organization_id: acme, created_by: people.owner!.userId, flow: "direct", idempotency_key: "sealed-erasure-1", plan_tier: "global",
        modulations: tx.json({ flow: "direct", from: "+14155550100", to: subject, operatorPhone: null, record: false, transcribe: false, translate: null, redact: false, disclosure: null, survey: null, shopperScript: null, configVersion: 1 } as never),
        ...(await callNumberColumns(tx, acme, { from: "+14155550100", to: subject })),
      } as never)}
      returning id`);
    const res = await call(browserOf("owner"), erasureRoute.POST, { method: "POST", orgId: acme, body: { phoneNumber: subject } });
    expect(res.status).toBe(202);
    const erasure = res.body.erasure as { id: string; erasing: string[] };
    expect(erasure.erasing).toEqual([callRow!.id]);
    const [stored] = await sql()<{ phone_number: string; phone_number_hash: string }[]>`select phone_number, phone_number_hash from public.erasure_requests where id = ${erasure.id}`;
    expectSealed(stored!.phone_number, subject);
    expect(stored!.phone_number_hash).toBe(await numberHash(acme, subject));
    const list = await call(browserOf("owner"), erasureRoute.GET, { orgId: acme });
    expect((list.body.requests as Array<{ id: string; phoneNumber: string }>).find((r) => r.id === erasure.id)!.phoneNumber).toBe(subject);
  });

  it("the voice config keeps its caller id and operator phone sealed and answers them opened", async () => {
    const res = await call(browserOf("owner"), voiceConfigRoute.PUT, { method: "PUT", orgId: acme, body: { callerId: "+14155550144", operatorPhone: "+14155550145" } });
    expect(res.status).toBe(200);
    const [row] = await sql()<{ caller_id: string; operator_phone: string }[]>`select caller_id, operator_phone from public.voice_configs where organization_id = ${acme}`;
    expectSealed(row!.caller_id, "+14155550144");
    expectSealed(row!.operator_phone, "+14155550145");
    const read = await call(browserOf("viewer"), voiceConfigRoute.GET, { orgId: acme });
    expect(read.body.config).toMatchObject({ callerId: "+14155550144", operatorPhone: "+14155550145" });
  });
});

describe("numbers written in E.164 before (by SQL), then the re-sealing pass", () => {
  it("seals them, writes their hashes, and the API reads them back as they were", async () => {
    const number = "+12125550150";
    const subject = "+12125550151";
    const [target] = await sql()<{ id: string; updatedAt: Date }[]>`
      insert into public.voice_targets (organization_id, name, number, time_zone, created_by)
      values (${acme}, 'Legacy Office', ${number}, 'America/New_York', ${people.owner!.userId}) returning id, updated_at as "updatedAt"`;
    const [request] = await sql()<{ id: string }[]>`
      insert into public.erasure_requests (organization_id, phone_number, requested_by) values (${acme}, ${subject}, ${people.owner!.userId}) returning id`;
    await sql()`update public.voice_configs set caller_id = '+14155550152', operator_phone = null where organization_id = ${acme}`;
    // Before the pass: a look-up by number still finds the row in E.164 (it has no hash yet).
    expect((await listed("owner", number)).map((t) => t.id)).toEqual([target!.id]);

    const progress = await resealNumbers({ batch: 2 });
    expect(progress.finished).toBe(true);
    const [t] = await sql()<{ number: string; number_hash: string; updatedAt: Date }[]>`
      select number, number_hash, updated_at as "updatedAt" from public.voice_targets where id = ${target!.id}`;
    expectSealed(t!.number, number);
    expect(t!.number_hash).toBe(await numberHash(acme, number));
    // Re-sealing is not a change anyone made to the target.
    expect(t!.updatedAt).toEqual(target!.updatedAt);
    const [e] = await sql()<{ phone_number: string; phone_number_hash: string }[]>`select phone_number, phone_number_hash from public.erasure_requests where id = ${request!.id}`;
    expectSealed(e!.phone_number, subject);
    expect(e!.phone_number_hash).toBe(await numberHash(acme, subject));
    const [c] = await sql()<{ caller_id: string }[]>`select caller_id from public.voice_configs where organization_id = ${acme}`;
    expectSealed(c!.caller_id, "+14155550152");
    // Nothing E.164 is left anywhere it passes over, and a second pass changes nothing.
    expect(await sql()`select 1 from public.voice_targets where number like '+%' union all select 1 from public.campaign_targets where number like '+%'
      union all select 1 from public.erasure_requests where phone_number like '+%'
      union all select 1 from public.voice_configs where caller_id like '+%' or operator_phone like '+%'`).toHaveLength(0);
    expect((await resealNumbers()).done).toEqual({});

    expect((await listed("owner", number)).map((t) => [t.id, t.number])).toEqual([[target!.id, number]]);
    expect((await listed("viewer")).find((t) => t.id === target!.id)!.number).toBe(maskNumber(number));
    const list = await call(browserOf("owner"), erasureRoute.GET, { orgId: acme });
    expect((list.body.requests as Array<{ id: string; phoneNumber: string }>).find((r) => r.id === request!.id)!.phoneNumber).toBe(subject);
    expect((await call(browserOf("owner"), voiceConfigRoute.GET, { orgId: acme })).body.config).toMatchObject({ callerId: "+14155550152" });
  });

  it("an erasure request stays append-only but for its number: nothing else, nor a hash once written, may change", async () => {
    const [row] = await sql()<{ id: string }[]>`select id from public.erasure_requests where organization_id = ${acme} limit 1`;
    await expect(asService((tx) => tx`update public.erasure_requests set reason = 'changed' where id = ${row!.id}`)).rejects.toThrow(/permission denied|append-only/);
    await expect(sql()`update public.erasure_requests set reason = 'changed' where id = ${row!.id}`).rejects.toThrow(/append-only/);
    await expect(sql()`update public.erasure_requests set phone_number_hash = ${"x".repeat(43)} where id = ${row!.id}`).rejects.toThrow(/append-only/);
    await expect(sql()`delete from public.erasure_requests where id = ${row!.id}`).rejects.toThrow(/append-only/);
  });
});
