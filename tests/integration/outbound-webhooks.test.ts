import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { runOnce } from "graphile-worker";
import pino from "pino";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { logger } from "@/lib/logger";
import { webhookIdOf, type EndpointView } from "@/lib/outbound/contracts";
import { deliverWebhook } from "@/lib/outbound/deliver";
import { createEndpoint, rotateSecret, updateEndpoint } from "@/lib/outbound/endpoints";
import { emitWebhookEvent } from "@/lib/outbound/events";
import { replayDelivery } from "@/lib/outbound/log";
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS } from "@/lib/outbound/schedule";
import { graphileLogger } from "@/lib/worker/graphile-log";
import { taskList } from "@/lib/worker/task-list";
import type { Claims } from "@/lib/db/claims";
import type { Membership } from "@/lib/rbac/membership";
import { createOrg, insertCall, member } from "@/tests/support/fixtures";
import { withWebhookKeysDir } from "@/tests/support/outbound";

/**
 * Issue 21, done-when 3, against real Postgres, the real graphile-worker queue and a real HTTP
 * receiver on loopback (allowed in the embedded default): a receiver down for ten minutes gets
 * every event afterwards, each verified by the Standard Webhooks reference verifier
 * (`standardwebhooks`' Webhook.verify), none missing, none duplicated under another id. The
 * ten minutes pass on the schedule's own terms: each round runs the due jobs, checks the wait
 * the job chose against the schedule, then moves the jobs' run_at to now and adds that wait to
 * a simulated clock; the receiver comes up when the clock passes 600 s. Also: giving up after
 * the whole schedule turns the endpoint off with the reason; replay; rotation's overlap; and a
 * private address refused at delivery even when it got past creation.
 */

const log = pino({ level: "silent" });
withWebhookKeysDir();
let orgId: string;
let owner: { userId: string; claims: Claims };
let membership: Membership;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

class Receiver {
  received: Received[] = [];
  server: Server | undefined;
  port = 0;
  /** Answer with this status instead of 204 (to exercise failures that reach the receiver). */
  status = 204;

  async reservePort(): Promise<number> {
    await this.up();
    await this.down();
    return this.port;
  }
  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.statusCode = this.status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  get url() {
    return `http://127.0.0.1:${this.port}/hooks/verbatim`;
  }
}

function runJobs(): Promise<void> {
  return runOnce({
    connectionString: process.env.DATABASE_URL!,
    taskList: { deliver_webhook: taskList.deliver_webhook },
    noHandleSignals: true,
    logger: graphileLogger(logger()),
  });
}

/** Make every queued delivery job due now (the test's clock moves; the schedule does not). */
async function moveQueuedJobsToNow(): Promise<void> {
  await sql()`update graphile_worker._private_jobs j set run_at = now()
              from graphile_worker._private_tasks t
              where t.id = j.task_id and t.identifier = 'deliver_webhook' and j.locked_at is null`;
}

async function deliveriesOf(endpointId: string) {
  return sql()<{ id: string; status: string; attempts: number; eventId: string; type: string; data: Record<string, unknown>; waitSeconds: number | null }[]>`
    select d.id, d.status, d.attempts, d.event_id as "eventId", ev.type, ev.data,
           extract(epoch from d.next_attempt_at - (select max(a.started_at) from public.webhook_delivery_attempts a where a.delivery_id = d.id))::float8 as "waitSeconds"
    from public.webhook_deliveries d join public.webhook_events ev on ev.id = d.event_id
    where d.endpoint_id = ${endpointId} order by d.created_at, d.id`;
}

async function newEndpoint(url: string, eventTypes: EndpointView["eventTypes"]): Promise<{ endpoint: EndpointView; secret: string }> {
  return withUser(owner.claims, (tx) => createEndpoint(tx, { membership, input: { url, description: "test receiver", eventTypes } }));
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** Facts, stored the way their writers store them: each emits its event from its trigger. */
async function completeCall(): Promise<string> {
  const callId = await insertCall(orgId, owner.userId);
  await asService((tx) => tx`update public.calls set status = 'completed', ended_at = now(), duration_seconds = 42 where id = ${callId}`);
  return callId;
}

async function storeRecording(callId: string): Promise<void> {
  await asService(
    (tx) => tx`insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, media_type, stored_at)
               values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${`rec/${callId}.wav`}, ${sha(callId)}, 1234, 'audio/wav', now())`,
  );
}

beforeAll(async () => {
  orgId = await createOrg("base");
  owner = await member(orgId, "owner");
  membership = { orgId, orgName: "Org", plan: "base", role: "owner", userId: owner.userId };
});


describe("a receiver down for ten minutes", () => {
  it("gets every event afterwards, each verified by the reference verifier, none missing, none duplicated under another id", async () => {
    const receiver = new Receiver();
    await receiver.reservePort();
    const { endpoint, secret } = await newEndpoint(receiver.url, ["call.completed", "artifact.stored", "retention.deleted"]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // The secret is stored sealed: nothing in the database holds it.
    const [stored] = await sql()<{ dump: string }[]>`select string_agg(s::text, ' ') as dump from public.webhook_endpoint_secrets s where endpoint_id = ${endpoint.id}`;
    expect(stored!.dump).not.toContain(secret.slice(6));
    expect(stored!.dump).not.toContain(secret);

    // While the receiver is down: calls end, recordings are stored, retention deletes.
    const calls: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const callId = await completeCall();
      await storeRecording(callId);
      calls.push(callId);
    }
    const retentionEvent = await asService((tx) =>
      emitWebhookEvent(tx, {
        orgId,
        type: "retention.deleted",
        data: {
          callId: calls[0]!, reason: "retention_policy", erasureRequestId: null, deletedAt: new Date().toISOString(),
          deleted: [{ artifactId: randomUUID(), kind: "recording", sha256: sha("x") }], manifest: { id: randomUUID(), version: 2, sha256: sha("m") },
        },
        dedupe: `retention:test:${calls[0]}`,
      }),
    );
    expect(retentionEvent).not.toBeNull();
    // The same fact again is no second event.
    await asService((tx) => tx`update public.calls set status = 'completed' where id = ${calls[0]!}`);
    const expected = await deliveriesOf(endpoint.id);
    expect(expected).toHaveLength(4 + 4 + 1);
    expect(new Set(expected.map((d) => d.type))).toEqual(new Set(["call.completed", "artifact.stored", "retention.deleted"]));

    let simulatedSeconds = 0;
    const waits: number[] = [];
    for (let round = 0; round < 12; round += 1) {
      if (simulatedSeconds >= 600 && !receiver.server) await receiver.up();
      await runJobs();
      const rows = await deliveriesOf(endpoint.id);
      const pending = rows.filter((d) => d.status === "pending");
      if (pending.length === 0) break;
      // Every delivery waits as the schedule says for its attempt, within its jitter.
      const attempt = pending[0]!.attempts;
      expect(pending.every((d) => d.attempts === attempt)).toBe(true);
      const base = RETRY_DELAYS_SECONDS[attempt - 1]!;
      for (const d of pending) {
        expect(d.waitSeconds!).toBeGreaterThanOrEqual(base * 0.8 - 1);
        expect(d.waitSeconds!).toBeLessThanOrEqual(base * 1.2 + 1);
      }
      const wait = Math.max(...pending.map((d) => d.waitSeconds!));
      waits.push(Math.round(wait));
      simulatedSeconds += wait;
      await moveQueuedJobsToNow();
    }
    await receiver.down();

    // Three attempts failed while it was down (at 0 s, ~5 s, ~5 min); the fourth (~35 min) delivered.
    expect(waits).toHaveLength(3);
    const settled = await deliveriesOf(endpoint.id);
    expect(settled.map((d) => d.status)).toEqual(expected.map(() => "delivered"));
    expect(settled.every((d) => d.attempts === 4)).toBe(true);
    const [failedWhileDown] = await sql()<{ n: number }[]>`
      select count(*)::int as n from public.webhook_delivery_attempts a join public.webhook_deliveries d on d.id = a.delivery_id
      where d.endpoint_id = ${endpoint.id} and a.status_code is null and a.error = 'Connection refused.'`;
    expect(failedWhileDown!.n).toBe(expected.length * 3);

    // Every request the receiver got verifies with the reference verifier, under its own id.
    const wh = new Webhook(secret);
    const byId = new Map<string, unknown>();
    for (const r of receiver.received) {
      const verified = wh.verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      const id = r.headers["webhook-id"] as string;
      if (byId.has(id)) expect(verified).toEqual(byId.get(id)); // a repeat is the same message
      byId.set(id, verified);
    }
    expect([...byId.keys()].sort()).toEqual(expected.map((d) => webhookIdOf(d.id)).sort());
    for (const d of expected) expect(byId.get(webhookIdOf(d.id))).toMatchObject({ type: d.type, data: d.data });
    // A tampered body does not verify.
    const one = receiver.received[0]!;
    expect(() => wh.verify(one.body.replace("}", ',"x":1}'), one.headers as Record<string, string>)).toThrow();
  });
});

describe("giving up", () => {
  it("fails the delivery after the whole schedule, turns the endpoint off with the reason, and a replay sends the same id again", async () => {
    const receiver = new Receiver();
    await receiver.reservePort();
    const { endpoint, secret } = await newEndpoint(receiver.url, ["call.completed"]);
    await completeCall();
    for (let round = 0; round < MAX_ATTEMPTS + 2; round += 1) {
      await runJobs();
      await moveQueuedJobsToNow();
    }
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    const [row] = await sql()<{ enabled: boolean; reason: string }[]>`select enabled, disabled_reason as reason from public.webhook_endpoints where id = ${endpoint.id}`;
    expect(row!.enabled).toBe(false);
    expect(row!.reason).toMatch(/call\.completed event could not be delivered in 8 attempts over about 28 hours \(last: Connection refused\.\)/);

    // While it is off, new events make no delivery to it.
    await completeCall();
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1);

    // An owner fixes the receiver, turns the endpoint on and replays: one attempt, same webhook-id.
    await receiver.up();
    await withUser(owner.claims, (tx) => updateEndpoint(tx, { orgId, id: endpoint.id, input: { enabled: true } }));
    await withUser(owner.claims, (tx) => replayDelivery(tx, { orgId, id: delivery!.id }));
    await runJobs();
    await receiver.down();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(webhookIdOf(delivery!.id));
    new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers as Record<string, string>);
    const [after] = await deliveriesOf(endpoint.id);
    expect(after).toMatchObject({ status: "delivered", attempts: MAX_ATTEMPTS + 1 });
    const [replayed] = await sql()<{ replay: boolean; status: number }[]>`
      select replay, status_code as status from public.webhook_delivery_attempts where delivery_id = ${delivery!.id} and attempt = ${MAX_ATTEMPTS + 1}`;
    expect(replayed).toEqual({ replay: true, status: 204 });
  });

  it("counts an error status as a failure and a redirect too, and never follows it", async () => {
    const receiver = new Receiver();
    await receiver.up();
    const { endpoint } = await newEndpoint(receiver.url, ["call.completed"]);
    receiver.status = 307;
    await completeCall();
    await runJobs();
    receiver.status = 500;
    await moveQueuedJobsToNow();
    await runJobs();
    await receiver.down();
    const attempts = await sql()<{ status: number; error: string }[]>`
      select a.status_code as status, a.error from public.webhook_delivery_attempts a join public.webhook_deliveries d on d.id = a.delivery_id
      where d.endpoint_id = ${endpoint.id} order by a.attempt`;
    expect(attempts).toEqual([
      { status: 307, error: "The receiver answered with a redirect, which is not followed." },
      { status: 500, error: "The receiver answered HTTP 500." },
    ]);
    expect(receiver.received).toHaveLength(2);
  });
});

describe("rotation", () => {
  it("signs with the old and the new secret during the overlap, and with the new one only after it", async () => {
    const receiver = new Receiver();
    await receiver.up();
    const { endpoint, secret: first } = await newEndpoint(receiver.url, ["call.completed"]);
    const { secret: second } = await withUser(owner.claims, (tx) => rotateSecret(tx, { orgId, id: endpoint.id, overlapSeconds: 3600 }));
    expect(second).not.toBe(first);
    await completeCall();
    await runJobs();
    const during = receiver.received.at(-1)!;
    expect((during.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
    new Webhook(first).verify(during.body, during.headers as Record<string, string>);
    new Webhook(second).verify(during.body, during.headers as Record<string, string>);

    await sql()`update public.webhook_endpoint_secrets set expires_at = now() - interval '1 second' where endpoint_id = ${endpoint.id} and expires_at is not null`;
    await completeCall();
    await runJobs();
    await receiver.down();
    const after = receiver.received.at(-1)!;
    expect((after.headers["webhook-signature"] as string).split(" ")).toHaveLength(1);
    new Webhook(second).verify(after.body, after.headers as Record<string, string>);
    expect(() => new Webhook(first).verify(after.body, after.headers as Record<string, string>)).toThrow();
  });
});

describe("a private address at delivery", () => {
  it("is refused without connecting, when the name resolves there or the stored URL was changed behind the API", async () => {
    const receiver = new Receiver();
    await receiver.up();
    const publicAnswer = ((_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) => cb(null, [{ address: "93.184.215.14", family: 4 }])) as never;
    const loopbackAnswer = ((_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) => cb(null, [{ address: "127.0.0.1", family: 4 }])) as never;
    // Created while the name pointed somewhere public; it now resolves to this machine (rebinding).
    const { endpoint } = await withUser(owner.claims, (tx) =>
      createEndpoint(tx, { membership, input: { url: `https://hooks.example.com:8443/x`, description: "", eventTypes: ["call.completed"] } }, { resolve: publicAnswer }),
    );
    await completeCall();
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(await deliverWebhook({ orgId, deliveryId: delivery!.id }, { log }, { resolve: loopbackAnswer })).toBe("retrying");
    const [refused] = await sql()<{ error: string; status: number | null }[]>`select error, status_code as status from public.webhook_delivery_attempts where delivery_id = ${delivery!.id}`;
    expect(refused).toEqual({ error: "Refused: The host resolves to a private, loopback, link-local or otherwise non-public address.", status: null });

    // A stored URL naming a private address outright (written behind the API's check).
    await sql()`update public.webhook_endpoints set url = 'https://10.0.0.7/hook' where id = ${endpoint.id}`;
    await sql()`update public.webhook_deliveries set next_attempt_at = now() where id = ${delivery!.id}`;
    expect(await deliverWebhook({ orgId, deliveryId: delivery!.id }, { log })).toBe("retrying");
    const errors = await sql()<{ error: string }[]>`select error from public.webhook_delivery_attempts where delivery_id = ${delivery!.id} order by attempt`;
    expect(errors.at(-1)!.error).toBe("Refused: The URL points to a private, loopback, link-local or otherwise non-public address.");
    await receiver.down();
    expect(receiver.received).toHaveLength(0);
  });
});

describe("events from their facts", () => {
  it("are emitted by the writes that store the facts, once each, with the catalogue's payloads", async () => {
    const { endpoint } = await newEndpoint("http://127.0.0.1:9/facts", ["artifact.stored", "manifest.sealed", "export.ready", "call.completed", "campaign.completed"]);
    const callId = await completeCall();
    const h = sha(`artifact:${callId}`);
    await asService(async (tx) => {
      await tx`insert into public.call_artifacts (organization_id, call_id, kind, language, body, sha256, provenance, inputs)
               values (${orgId}, ${callId}, 'transcript', 'en', ${tx.json({ text: "hello" })}, ${h}, ${tx.json({ vendor: "test" })}, ${tx.json({})})`;
      await tx`insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid)
               values (${orgId}, ${callId}, 1, ${tx.json({ v: 1 })}, ${h}, 'a..c', 'kid-1')`;
      const [exp] = await tx<{ id: string }[]>`insert into public.evidence_exports (organization_id, requested_by, call_ids, total)
               values (${orgId}, ${owner.userId}, ${[callId]}::uuid[], 1) returning id`;
      await tx`update public.evidence_exports set status = 'running', started_at = now() where id = ${exp!.id}`;
      await tx`update public.evidence_exports set status = 'completed', sha256 = ${h}, bytes = 10, storage_path = 'exports/x.zip',
               expires_at = now() + interval '1 day', done = 1, finished_at = now() where id = ${exp!.id}`;
      const [campaign] = await tx<{ id: string }[]>`
        insert into public.campaigns (organization_id, name, state, modulations, selection, schedule, starts_at, ends_at, pace, retry_policy, created_by, launched_by, launched_at)
        values (${orgId}, 'Audit', 'running', '{}', ${tx.json({ tags: ["x"] })}, '{}', now(), now() + interval '1 day', '{}', '{}', ${owner.userId}, ${owner.userId}, now())
        returning id`;
      await tx`update public.campaigns set state = 'completed', ended_at = now() where id = ${campaign!.id}`;
      await tx`update public.campaigns set updated_at = now() where id = ${campaign!.id}`;
    });
    const events = await sql()<{ type: string; data: Record<string, unknown> }[]>`
      select ev.type, ev.data from public.webhook_deliveries d join public.webhook_events ev on ev.id = d.event_id
      where d.endpoint_id = ${endpoint.id} order by ev.occurred_at, ev.type`;
    const byType = Object.fromEntries(events.map((e) => [e.type, e.data]));
    expect(events.map((e) => e.type).sort()).toEqual(["artifact.stored", "call.completed", "campaign.completed", "export.ready", "manifest.sealed"]);
    const { WEBHOOK_EVENT_DATA } = await import("@/lib/outbound/contracts");
    for (const e of events) expect(() => WEBHOOK_EVENT_DATA[e.type as keyof typeof WEBHOOK_EVENT_DATA].parse(e.data), e.type).not.toThrow();
    expect(byType["artifact.stored"]).toMatchObject({ callId, kind: "transcript", language: "en", sha256: h });
    expect(byType["manifest.sealed"]).toMatchObject({ callId, version: 1, manifestSha256: h, kid: "kid-1" });
    expect(byType["export.ready"]).toMatchObject({ calls: 1, sha256: h, bytes: 10 });
    expect(byType["call.completed"]).toMatchObject({ callId, status: "completed", durationSeconds: 42 });
  });

  it("keeps nothing for an organization nobody listens to: the outbox does not grow with every fact", async () => {
    const quiet = await createOrg("global");
    const quietOwner = await member(quiet, "owner");
    const callId = await insertCall(quiet, quietOwner.userId);
    await asService((tx) => tx`update public.calls set status = 'completed', ended_at = now(), duration_seconds = 5 where id = ${callId}`);
    expect(await sql()`select 1 from public.webhook_events where organization_id = ${quiet}`).toHaveLength(0);
  });
});

