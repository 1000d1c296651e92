/**
 * `npm run bench:webhooks -- [--calls 200] [--concurrency 16] [--base-url http://127.0.0.1:3000] [--data-dir .data]`
 *
 * Drives the status callbacks of N simulated calls against a running app (`npm run dev` or
 * `npm start`) and prints events per second and acknowledgement latency percentiles.
 * The calls are placed through the API to the simulator's silent number (the simulator accepts
 * them and sends nothing); this script then plays the carrier, signing every callback with the
 * simulated project's signing key exactly as SignalWire would: initiated, ringing, answered,
 * in-progress, completed, plus one duplicate of each, in order per call, calls in parallel.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEMO_PASSWORD } from "@/lib/db/seed";
import { RESERVED_NUMBERS, signWebhook } from "@/scripts/simulator";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    "data-dir": { type: "string", default: ".data" },
    duplicates: { type: "boolean", default: true },
  },
});
const N = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const BASE = values["base-url"]!.replace(/\/$/, "");
const SILENT = Object.entries(RESERVED_NUMBERS).find(([, s]) => s.kind === "silent")![0];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function signIn(): Promise<string> {
  const res = await fetch(`${BASE}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": "198.18.0.1" },
    body: JSON.stringify({ email: "operator@acme.test", password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const carrier = JSON.parse(await readFile(path.join(values["data-dir"]!, "carrier.json"), "utf8")) as { signingKey: string; url?: string };
  const health = await fetch(`${BASE}/api/health/ready`).catch(() => null);
  if (!health?.ok) throw new Error(`The app is not ready at ${BASE}. Start it with \`npm run dev\` (or \`npm start\`) first.`);
  const cookie = await signIn();

  console.log(`placing ${N} calls to the simulator's silent number ${SILENT}…`);
  const callIds: string[] = [];
  await pool(Array.from({ length: N }, (_, i) => i), 8, async () => {
    const res = await fetch(`${BASE}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ to: SILENT, record: false }),
    });
    if (res.status !== 201) throw new Error(`placing a call failed: ${res.status} ${await res.text()}`);
    callIds.push(((await res.json()) as { call: { id: string } }).call.id);
  });

  // The simulator saw each create; its request URL names our call id, its sid is the CallSid.
  if (!carrier.url) throw new Error("carrier.json has no simulator url: is the app running with the simulated carrier?");
  const seen = (await (await fetch(`${carrier.url}/__control/calls`)).json()) as { sid: string; request: { url?: string } }[];
  const sidOf = new Map(seen.map((c) => [c.request.url?.match(/laml\/([0-9a-f-]{36})/)?.[1], c.sid]));

  const events = ["initiated", "ringing", "answered", "in-progress", "completed"];
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  const started = performance.now();
  await pool(callIds, CONCURRENCY, async (callId) => {
    const sid = sidOf.get(callId);
    if (!sid) throw new Error(`the simulator has no record of call ${callId}`);
    const pathname = `/api/webhooks/signalwire/${callId}/status`;
    for (const [seq, status] of events.entries()) {
      const params: Record<string, string> = {
        CallSid: sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api",
        Timestamp: new Date().toUTCString(), ...(status === "completed" ? { CallDuration: "30" } : {}),
      };
      const body = new URLSearchParams(params).toString();
      const signature = signWebhook(carrier.signingKey, `${BASE}${pathname}`, params);
      for (let copy = 0; copy < (values.duplicates ? 2 : 1); copy++) {
        const t0 = performance.now();
        const res = await fetch(`${BASE}${pathname}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signature },
          body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 204) failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(`\nwebhook benchmark: ${N} calls, ${latencies.length} callbacks (${values.duplicates ? "each delivered twice" : "once each"}), concurrency ${CONCURRENCY}`);
  console.log(`  throughput   ${(latencies.length / seconds).toFixed(0)} events/s over ${seconds.toFixed(1)} s`);
  console.log(`  ack latency  p50 ${fmt(percentile(latencies, 50))}  p95 ${fmt(percentile(latencies, 95))}  p99 ${fmt(percentile(latencies, 99))}  max ${fmt(latencies.at(-1) ?? NaN)}`);
  console.log(`  non-2xx      ${failures.size === 0 ? "none" : [...failures].map(([s, n]) => `${n}×${s}`).join(", ")}`);
  if (failures.size > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
});
