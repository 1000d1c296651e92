/**
 * `npm run worker`: the job worker on its own (production, or JOBS_IN_PROCESS=false). Uses
 * DATABASE_URL (a session-mode connection: LISTEN/NOTIFY); installs graphile-worker's schema if
 * needed; runs until SIGINT/SIGTERM, then lets running jobs finish and exits.
 *
 *   WORKER_CONCURRENCY   jobs at once in this process (default 2)
 *   WORKER_METRICS_PORT  serve this process's Prometheus metrics at /metrics on this port
 *                        (HOSTNAME, default 127.0.0.1), for Bearer METRICS_TOKEN (docs/adr/0042)
 */
// First: the allocator setting may replace this process before anything else runs (docs/adr/0032).
import "./allocator";
import { config } from "@/lib/config";
import { closeDb } from "@/lib/db/client";
import { serveWorkerMetrics } from "@/lib/operations/metrics-server";
import { startWorker } from "@/lib/worker/runner";
import { logger } from "@/lib/logger";

const log = logger().child({ component: "worker" });
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`✖ WORKER_CONCURRENCY must be a positive integer, not ${process.env.WORKER_CONCURRENCY}`);
  process.exit(1);
}

try {
  const { metrics } = config();
  const metricsServer = metrics.workerPort
    ? await serveWorkerMetrics({ port: metrics.workerPort, hostname: process.env.HOSTNAME ?? "127.0.0.1", log })
    : undefined;
  const worker = await startWorker({ concurrency });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping the job worker");
    const force = setTimeout(() => {
      log.error("jobs did not finish within 30 s; exiting anyway (they will be retried)");
      process.exit(1);
    }, 30_000);
    force.unref();
    await worker.stop();
    metricsServer?.close();
    await closeDb();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  await worker.runner.promise;
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  await closeDb();
  process.exit(1);
}
