/**
 * `npm run bench:export -- [--mb 100] [--base-url http://127.0.0.1:3000] [--database-url postgres://…]`
 *
 * Exports a call whose stored recording is `--mb` megabytes (default 100) and prints the peak
 * RSS growth of this process during the export and the export's throughput. The call is made
 * once in a benchmark organization ("Bench export"): its recording bytes are generated straight
 * into storage through lib/storage (random, so nothing compresses them), the call is sealed with
 * the real sealing job code, and later runs reuse it. The export runs in-process through the
 * same domain function the route calls (lib/evidence-sealing/export.ts, inside a transaction,
 * without the session and role checks the route adds), and the ZIP is read to the end and
 * discarded at full speed. Uses the app's database (the embedded one `npm start` runs, or
 * DATABASE_URL) and its storage and evidence keys (STORAGE_DIR, EVIDENCE_*). Asserts nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import pino from "pino";
import { benchDatabaseUrl } from "./bench-support";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "100" }, "base-url": { type: "string", default: "http://127.0.0.1:3000" }, "database-url": { type: "string" } },
});
process.env.DATABASE_URL = benchDatabaseUrl(values["base-url"]!, values["database-url"]);

const { asService } = await import("@/lib/db");
const { storage } = await import("@/lib/storage");
const { sealCall } = await import("@/lib/evidence-sealing/seal-call");
const { exportEvidence } = await import("@/lib/evidence-sealing/export");

const size = Math.round(Number(values.mb) * 1024 * 1024);
const ORG_NAME = "Bench export";

async function benchCall(): Promise<{ orgId: string; callId: string; userId: string }> {
  return asService(async (tx) => {
    const [existing] = await tx<{ orgId: string; callId: string; userId: string }[]>`
      select c.organization_id as "orgId", c.id as "callId", c.created_by as "userId"
      from public.calls c join public.organizations o on o.id = c.organization_id join public.recordings r on r.call_id = c.id
      where o.name = ${ORG_NAME} and r.bytes = ${size} and exists (select 1 from public.evidence_manifests m where m.call_id = c.id)
      limit 1`;
    if (existing) return existing;
    const [org] = await tx<{ id: string }[]>`insert into public.organizations (name, plan) values (${ORG_NAME}, 'global') returning id`;
    const [user] = await tx<{ id: string }[]>`insert into auth.users (email) values (${`bench-export-${randomUUID().slice(0, 8)}@example.test`}) returning id`;
    const [call] = await tx<{ id: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                                provider_call_sid, answered_at, ended_at, duration_seconds)
      values (${org!.id}, ${user!.id}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: true, transcribe: false, disclosure: null } as never)},
              'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, now() - interval '1 hour', now(), 3600)
      returning id`;
    return { orgId: org!.id, callId: call!.id, userId: user!.id };
  });
}

let { orgId, callId, userId } = await benchCall();
const sealed = await asService((tx) => tx`select 1 from public.evidence_manifests where call_id = ${callId}`);
if (sealed.length === 0) {
  console.log(`Generating a ${values.mb} MB recording into storage and sealing it…`);
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  let left = size;
  const source = Readable.from((function* () {
    while (left > 0) {
      const n = Math.min(left, 1 << 20);
      left -= n;
      yield randomBytes(n);
    }
  })());
  const put = await storage().put(objectPath, source, { contentType: "audio/wav" });
  await asService((tx) => tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3600, 1, 'audio/wav', now())`);
  const result = await sealCall({ orgId, callId }, { log: pino({ level: "silent" }) });
  console.log(`Sealed: ${JSON.stringify(result)}`);
  ({ orgId, callId, userId } = await benchCall());
}

global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 10);
const started = performance.now();
const bundle = await asService((tx) => exportEvidence(tx, { orgId, callId, actorUserId: userId, requestId: `bench-${randomUUID()}` }));
let bytes = 0;
for await (const chunk of bundle.body as unknown as AsyncIterable<Uint8Array>) {
  bytes += chunk.length;
  peak = Math.max(peak, process.memoryUsage().rss);
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`Exported call ${callId}: ${mb(bytes)} MB ZIP (recording ${mb(size)} MB) in ${seconds.toFixed(2)} s`);
console.log(`Throughput: ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MB/s`);
console.log(`RSS: baseline ${mb(baseline)} MB, peak ${mb(peak)} MB, peak growth ${mb(peak - baseline)} MB`);
process.exit(0);
