import "server-only";
import { createServer, type Server } from "node:http";
import type { Logger } from "@/lib/logger";
import { metricsAccess } from "@/lib/operations/metrics-access";
import { processScrape } from "@/lib/operations/scrape";

/**
 * A worker process's metrics (`npm run worker` with WORKER_METRICS_PORT): `GET /metrics` on its
 * own small HTTP server, behind the same bearer token as the app's /api/metrics. Job runs,
 * provider requests, sealing lag and reconciler actions happen in workers, so each worker
 * process is scraped like each app process (docs/adr/0042).
 */
export async function serveWorkerMetrics({ port, hostname, log }: { port: number; hostname: string; log: Logger }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
      return;
    }
    const access = metricsAccess(req.headers.authorization ?? null);
    if (access === "unconfigured") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
      return;
    }
    if (access === "refused") {
      res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' }).end("A bearer token is required.\n");
      return;
    }
    processScrape().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : body),
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, "metrics scrape failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("Internal error\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  log.info({ port, hostname }, "worker metrics served at /metrics");
  return server;
}
