import { createServer, type Server } from "node:http";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionFromClaims, type Session } from "@/lib/db/claims";
import type { PlaceCallRequest } from "@/lib/calls/contracts";
import { placeCall as placeAuthorized, classifyDialError } from "@/lib/calls/place-call";
import { sql } from "@/lib/db/client";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import { numberHash } from "@/lib/pii/numbers";
import { asService } from "@/lib/db";
import { authorize } from "@/lib/rbac/authorize";
import { ForbiddenError, NotFoundError, PlanRequiredError, ProviderError, UnprocessableError, ConflictError, ValidationError } from "@/lib/errors";
import type { CarrierSimulator } from "@/scripts/simulator";
import { createOrg, member } from "@/tests/support/fixtures";
import { configureSignalWire, startTestCarrier } from "@/tests/support/signalwire";

/**
 * Placing calls through the real SignalWire SDK, whose requests the simulator answers as
 * SignalWire would. The simulated target is `silent` (accepts the call, sends no callbacks):
 * these tests are about what happens before and at the dial.
 */
const log = pino({ level: "silent" });
let sim: CarrierSimulator;
let acme: string;
let borealis: string;
const sessions: Record<string, ReturnType<typeof sessionFromClaims>> = {};

/** What POST /api/calls does: its wrapper authorizes `calls.place` in the organization, then the call is placed. */
const placeCall = async (session: Session, orgId: string, request: PlaceCallRequest, idempotencyKey: string | null, logger: typeof log) =>
  placeAuthorized(session, await authorize(session, "calls.place", orgId), request, idempotencyKey, logger);

beforeAll(async () => {
  sim = await startTestCarrier();
  configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
  acme = await createOrg("global");
  borealis = await createOrg("base");
  await sql()`insert into public.voice_configs (organization_id, record, disclosure_text) values (${acme}, true, 'Recorded for quality.')`;
  await sql()`insert into public.voice_configs (organization_id) values (${borealis})`;
  for (const role of ["owner", "operator", "analyst", "viewer"] as const) {
    sessions[role] = sessionFromClaims((await member(acme, role)).claims);
  }
  sessions.borealisOwner = sessionFromClaims((await member(borealis, "owner")).claims);
});

afterAll(async () => {
  await sim?.stop();
});

let n = 0;
const key = () => `test-key-${Date.now()}-${++n}`;
const target = (i: number) => `+1415555${String(1000 + i).slice(-4)}`;
const createsTo = (to: string) => sim.calls().filter((c) => c.to === to);
const silent = (to: string) => sim.setScenario(to, { kind: "silent" });

describe("POST /api/calls → placeCall", () => {
  it("inserts the call as queued with its plan snapshot before dialling, then dials once with our call id in every URL", async () => {
    const to = target(1);
    silent(to);
    const { call, replayed } = await placeCall(sessions.operator!, acme, { to }, key(), log);
    expect(replayed).toBe(false);
    expect(call).toMatchObject({ status: "queued", flow: "direct", to, modulations: { record: true } });
    const [row] = await sql()`select modulations, plan_tier, provider_call_sid, created_by from public.calls where id = ${call.id}`;
    // The snapshot's numbers are stored sealed (docs/adr/0044) and open to the numbers dialled.
    expect(row!.modulations).toMatchObject({ record: true, disclosure: "Recorded for quality.", to: expect.stringMatching(/^pn1\./), from: expect.stringMatching(/^pn1\./) });
    expect(await asService((tx) => openSnapshotNumbers(tx, acme, "calls.modulations", row!.modulations))).toMatchObject({ to, from: "+14155550100" });
    expect(row!.plan_tier).toBe("global");
    const dialled = createsTo(to);
    expect(dialled).toHaveLength(1);
    expect(row!.provider_call_sid).toBe(dialled[0]!.sid);
    const request = dialled[0]!.request;
    expect(request.url).toBe(`https://verbatim.example.com/api/laml/${call.id}?step=start`);
    expect(request.statusCallback).toBe(`https://verbatim.example.com/api/webhooks/signalwire/${call.id}/status`);
    // Recording lives in the LaML, never also on the REST request.
    expect(request.record).toBe(false);
    expect(request.recordingStatusCallback).toBeUndefined();
    expect(request.statusCallbackEvents).toEqual(["initiated", "ringing", "answered", "completed"]);
  });

  it("a number marked do-not-call among the saved targets is refused (422 do_not_call), nothing inserted or dialled; once cleared it is called", async () => {
    const to = target(90);
    silent(to);
    await sql()`insert into public.voice_targets (organization_id, name, number, time_zone, dnc, dnc_set_at, created_by)
                values (${acme}, 'Asked not to be called', ${to}, 'America/Los_Angeles', true, now(), ${sessions.owner!.userId})`;
    // Typed by hand in another form (spaces, dashes): normalized before the check.
    const typed = `+1 415 555-${to.slice(-4)}`;
    const refused = await placeCall(sessions.operator!, acme, { to: typed }, key(), log).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnprocessableError);
    expect((refused as UnprocessableError).code).toBe("do_not_call");
    expect((refused as Error).message).toContain("Asked not to be called");
    expect(await sql()`select 1 from public.calls where organization_id = ${acme} and to_number_hash = ${await numberHash(acme, to)}`).toHaveLength(0);
    expect(createsTo(to)).toHaveLength(0);
    // Another organization's mark is not this one's business: Borealis may call the number.
    await placeCall(sessions.borealisOwner!, borealis, { to }, key(), log);
    expect(createsTo(to)).toHaveLength(1);

    await asService((tx) => tx`update public.voice_targets set dnc = false where organization_id = ${acme} and number = ${to}`);
    const { call } = await placeCall(sessions.operator!, acme, { to }, key(), log);
    expect(call.to).toBe(to);
    expect(createsTo(to)).toHaveLength(2);
  });

  it("the same Idempotency-Key returns the same call and dials nothing more", async () => {
    const to = target(2);
    silent(to);
    const k = key();
    const first = await placeCall(sessions.operator!, acme, { to }, k, log);
    const again = await placeCall(sessions.operator!, acme, { to }, k, log);
    expect(again.replayed).toBe(true);
    expect(again.call.id).toBe(first.call.id);
    expect(createsTo(to)).toHaveLength(1);
  });

  it("the same key sent concurrently still makes one call", async () => {
    const to = target(3);
    silent(to);
    const k = key();
    const results = await Promise.all([1, 2, 3].map(() => placeCall(sessions.operator!, acme, { to }, k, log)));
    expect(new Set(results.map((r) => r.call.id)).size).toBe(1);
    expect(createsTo(to)).toHaveLength(1);
  });

  it("the same key in another organization is unrelated", async () => {
    const to = target(4);
    silent(to);
    const k = key();
    const a = await placeCall(sessions.operator!, acme, { to }, k, log);
    const b = await placeCall(sessions.borealisOwner!, borealis, { to }, k, log);
    expect(b.replayed).toBe(false);
    expect(b.call.id).not.toBe(a.call.id);
    expect(createsTo(to)).toHaveLength(2);
  });

  it("the same key for a different number is 409", async () => {
    const k = key();
    silent(target(5));
    await placeCall(sessions.operator!, acme, { to: target(5) }, k, log);
    await expect(placeCall(sessions.operator!, acme, { to: target(6) }, k, log)).rejects.toThrow(ConflictError);
  });

  it("refuses a missing key, and an invalid number with 422 before anything is stored or dialled", async () => {
    await expect(placeCall(sessions.operator!, acme, { to: target(7) }, null, log)).rejects.toThrow(ValidationError);
    const before = sim.calls().length;
    const [{ count }] = (await sql()`select count(*)::int from public.calls where organization_id = ${acme}`) as unknown as [{ count: number }];
    for (const bad of ["+15551234567", "12345", "not a number", "+1415555010"]) {
      const err = await placeCall(sessions.operator!, acme, { to: bad }, key(), log).catch((e) => e);
      expect(err).toBeInstanceOf(UnprocessableError);
      expect(err.code).toBe("invalid_number");
    }
    expect(sim.calls().length).toBe(before);
    const [after] = await sql()`select count(*)::int from public.calls where organization_id = ${acme}`;
    expect(after!.count).toBe(count);
  });

  it("analysts and viewers cannot place calls (403); another organization's id is 404", async () => {
    await expect(placeCall(sessions.analyst!, acme, { to: target(8) }, key(), log)).rejects.toThrow(ForbiddenError);
    await expect(placeCall(sessions.viewer!, acme, { to: target(8) }, key(), log)).rejects.toThrow(ForbiddenError);
    await expect(placeCall(sessions.operator!, borealis, { to: target(8) }, key(), log)).rejects.toThrow(NotFoundError);
    expect(createsTo(target(8))).toHaveLength(0);
  });

  it("a base-plan organization cannot record: 403 naming the Pro plan", async () => {
    const err = await placeCall(sessions.borealisOwner!, borealis, { to: target(9), record: true }, key(), log).catch((e) => e);
    expect(err).toBeInstanceOf(PlanRequiredError);
    expect(err.details).toMatchObject({ requiredPlan: "pro", currentPlan: "base" });
  });

  it("an operator may run the org's recording default but not switch on what the defaults leave off", async () => {
    const to = target(10);
    silent(to);
    await expect(placeCall(sessions.operator!, acme, { to, record: true, transcribe: true }, key(), log)).rejects.toThrow(ForbiddenError);
    const off = await placeCall(sessions.operator!, acme, { to, record: false }, key(), log);
    expect(off.call.modulations.record).toBe(false);
  });

  it("the bridge flow dials the operator by REST (the target is dialled by the LaML)", async () => {
    const to = target(11);
    const operatorPhone = "+14155550142";
    silent(operatorPhone);
    const { call } = await placeCall(sessions.owner!, acme, { to, flow: "bridge", operatorPhone }, key(), log);
    expect(call.flow).toBe("bridge");
    expect(createsTo(operatorPhone)).toHaveLength(1);
    expect(createsTo(to)).toHaveLength(0);
    await expect(placeCall(sessions.owner!, acme, { to, flow: "bridge" }, key(), log)).rejects.toThrow(/operator phone/);
    await expect(placeCall(sessions.owner!, acme, { to, flow: "bridge", operatorPhone: to }, key(), log)).rejects.toThrow(/same/);
  });

  it("credentials the carrier rejects → 502 with a clear message, and the call is marked failed", async () => {
    configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url, SIGNALWIRE_API_TOKEN: "PT_wrong" });
    try {
      const err = await placeCall(sessions.operator!, acme, { to: target(12) }, key(), log).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.code).toBe("carrier_credentials_rejected");
      const [row] = await sql()`select status::text, dial_error from public.calls where id = ${err.details.callId}`;
      expect(row).toMatchObject({ status: "failed", dial_error: { code: "carrier_credentials_rejected" } });
    } finally {
      configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
    }
  });

  it("an ambiguous failure (connection dropped) is not retried: the call stays queued, marked for the reconciler", async () => {
    const dropper: Server = createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => dropper.listen(0, "127.0.0.1", r));
    const port = (dropper.address() as { port: number }).port;
    let requests = 0;
    dropper.on("request", () => (requests += 1));
    configureSignalWire({ CARRIER_SIMULATOR_URL: `http://127.0.0.1:${port}` });
    try {
      const { call } = await placeCall(sessions.operator!, acme, { to: target(13) }, key(), log);
      expect(call.status).toBe("queued");
      expect(call.dialError?.code).toBe("dial_outcome_unknown");
      expect(requests).toBe(1);
    } finally {
      configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
      dropper.close();
    }
  });
});

describe("dial error classification", () => {
  it("maps provider answers to what the person should hear", () => {
    expect(classifyDialError({ status: 400, code: 21211, message: "bad To" })).toMatchObject({ kind: "rejected", status: 422, code: "invalid_number" });
    expect(classifyDialError({ status: 401, code: 20003 })).toMatchObject({ kind: "rejected", code: "carrier_credentials_rejected" });
    expect(classifyDialError({ status: 503 })).toMatchObject({ kind: "ambiguous" });
    expect(classifyDialError(new Error("socket hang up"))).toMatchObject({ kind: "ambiguous" });
    expect(classifyDialError({ status: 429 })).toMatchObject({ kind: "rejected", code: "carrier_rate_limited" });
  });
});
