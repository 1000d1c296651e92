/**
 * `npm run bench:cluster -- [--calls 2000] [--apps 2] [--workers 2] [--concurrency 32]
 *   [--port 3200] [--pg-port N] [--carrier-port N] [--transcriber-port N] [--data-dir .data/bench-cluster]`
 *
 * After `npm run build`: starts `npm run cluster` on a fresh data directory of its own (the
 * balancer on --port, the apps on the ports after it; Postgres and the carrier simulator where
 * cluster.ts puts them unless given), runs the storm of scripts/cluster-storm.ts against it —
 * 2,000 calls by default, placed and called back through every instance, duplicated and out of
 * order — prints its figures and checks (mismatches, seal jobs per call, each organization's log
 * verified, the evidence keys every instance serves), then stops the cluster. Exits 1 if any
 * check failed. The browser test tests/e2e/cluster.spec.ts runs a smaller storm the same way.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { startClusterProcess } from "@/scripts/cluster-client";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "2000" },
    apps: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    concurrency: { type: "string", default: "32" },
    port: { type: "string", default: "3200" },
    "pg-port": { type: "string" },
    "carrier-port": { type: "string" },
    "transcriber-port": { type: "string", default: "0" },
    "data-dir": { type: "string", default: ".data/bench-cluster" },
  },
});

const port = Number(values.port);

async function main(): Promise<void> {
  const dataDir = path.resolve(values["data-dir"]!);
  console.log(`starting ${values.apps} apps and ${values.workers} workers on a fresh database (${path.relative(process.cwd(), dataDir)})…`);
  const started = performance.now();
  const cluster = await startClusterProcess({
    apps: Number(values.apps),
    workers: Number(values.workers),
    port,
    pgPort: Number(values["pg-port"] ?? 54329 + (port - 3000)),
    carrierPort: Number(values["carrier-port"] ?? 3990 + (port - 3000)),
    transcriberPort: Number(values["transcriber-port"]),
    dataDir,
    fresh: true,
    // The apps' request lines would be most of the run's writes; the workers log at debug (job runs).
    env: { LOG_LEVEL: "warn" },
  });
  console.log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${cluster.info.apps.map((a) => a.url).join(", ")} behind ${cluster.info.publicBaseUrl}\n`);
  let code = 1;
  try {
    const storm = spawn(
      process.execPath,
      ["--conditions=react-server", "--import", "tsx", "scripts/cluster-storm.ts", "--data-dir", dataDir, "--calls", values.calls!, "--concurrency", values.concurrency!],
      { stdio: "inherit" },
    );
    code = await new Promise<number>((resolve) => storm.once("exit", (c) => resolve(c ?? 1)));
  } finally {
    await cluster.stop();
  }
  process.exitCode = code;
}

main().catch((err: unknown) => {
  console.error(`✖ ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
