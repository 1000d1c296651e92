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
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { benchDatabaseUrl } from "./bench-support";
import { sealedCallWithRecording } from "./bench-recorded-call";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "100" }, "base-url": { type: "string", default: "http://127.0.0.1:3000" }, "database-url": { type: "string" } },
});
process.env.DATABASE_URL = benchDatabaseUrl(values["base-url"]!, values["database-url"]);

const { asService } = await import("@/lib/db");
const { exportEvidence } = await import("@/lib/evidence-sealing/export");

const size = Math.round(Number(values.mb) * 1024 * 1024);
const ORG_NAME = "Bench export";

/** The benchmark's call from an earlier run, if one with a recording of this size was sealed. */
async function existingCall(): Promise<{ orgId: string; callId: string; userId: string } | undefined> {
  const [existing] = await asService((tx) => tx<{ orgId: string; callId: string; userId: string }[]>`
    select c.organization_id as "orgId", c.id as "callId", c.created_by as "userId"
    from public.calls c join public.organizations o on o.id = c.organization_id join public.recordings r on r.call_id = c.id
    where o.name = ${ORG_NAME} and r.bytes = ${size} and exists (select 1 from public.evidence_manifests m where m.call_id = c.id)
    limit 1`);
  return existing;
}

let call = await existingCall();
if (!call) {
  console.log(`Generating a ${values.mb} MB recording into storage and sealing it…`);
  call = await sealedCallWithRecording({ orgName: ORG_NAME, bytes: size });
}
const { orgId, callId, userId } = call;

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
