/**
 * The app's HTTP server: Next.js behind a plain `node:http` server (Next's custom-server API),
 * so that the client's address comes from the socket. Next's own server copies the socket
 * address into X-Forwarded-For only when the client sent no such header, which lets any client
 * pick its own address; here the address is computed from the socket and X-Forwarded-For under
 * the configured trust (TRUSTED_PROXY_HOPS, TRUSTED_PROXIES) and handed to route handlers in
 * the private header `x-verbatim-client-ip`, which a client cannot set.
 *
 *   npm run serve -- [--dev] [--port N] [--hostname H]
 *
 * `npm run dev` and `npm start` run this for you; in production run `npm run build`, then
 * `npm run serve` with the production environment.
 */
// First: the allocator setting may replace this process before anything else runs.
import "./allocator";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import next from "next";
import { config, ConfigError } from "@/lib/config";
import { dbCounts } from "@/lib/db/client";
import { stampClientIp, trustFor } from "@/lib/http/client-ip";
import { refuseDeclaredOversizedBody } from "@/lib/http/declared-body";
import { isMalformedPath, malformedPathAnswer } from "@/lib/http/malformed-path";
import { securityHeaders } from "@/lib/http/security-headers";
import { logger } from "@/lib/logger";
import { serveMachineRoute } from "./machine-routes";

const { values: args } = parseArgs({
  options: {
    dev: { type: "boolean", default: false },
    port: { type: "string" },
    hostname: { type: "string" },
  },
});

async function main(): Promise<void> {
  const port = Number(args.port ?? process.env.PORT ?? 3000);
  const hostname = args.hostname ?? process.env.HOSTNAME ?? "127.0.0.1";
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`--port must be a port number, not ${args.port}`);
  const dev = args.dev;
  // Next reads NODE_ENV itself; the production build must run as production.
  (process.env as Record<string, string>).NODE_ENV ??= dev ? "development" : "production";
  const trust = trustFor(config().proxyTrust);
  const defences = Object.entries(securityHeaders({ publicBaseUrl: config().publicBaseUrl }));

  const app = next({ dev, hostname, port, ...(dev ? { turbopack: true } : {}) });
  const handle = app.getRequestHandler();
  await app.prepare();

  const countingDb = process.env.VERBATIM_COUNT_ROUND_TRIPS === "1";
  const memoryProbe = process.env.VERBATIM_MEMORY_PROBE === "1";
  // Loaded after ./machine-routes, whose hook lets `server-only` modules load in this process.
  const metricsToggle = process.env.VERBATIM_METRICS_TOGGLE === "1" ? (await import("@/lib/metrics")).setRecording : undefined;
  const server = createServer((req, res) => {
    stampClientIp(req, trust);
    // Every answer carries the browser-side defences, whoever writes it (docs/adr/0026): set
    // before anything else so the machine routes, static files, 404s and the 400 below have
    // them. The proxy replaces the Content-Security-Policy of what Next renders with the
    // pages' own, nonce and all; Next keeps a header that is already set otherwise.
    for (const [name, value] of defences) res.setHeader(name, value);
    // `npm run bench:api` reads the database counts of this process, when asked to keep them.
    if (countingDb && req.url === "/__bench/db-counts" && req.socket.remoteAddress?.replace(/^::ffff:/, "") === "127.0.0.1") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(dbCounts()));
      return;
    }
    // `npm run bench:soak` reads this process's memory by kind, when asked to serve it.
    if (memoryProbe && req.url?.startsWith("/__bench/memory") && req.socket.remoteAddress?.replace(/^::ffff:/, "") === "127.0.0.1") {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (req.url.includes("gc=1") && gc) gc();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...process.memoryUsage(), gc: Boolean(gc) }));
      return;
    }
    // `npm run bench:webhooks -- --metrics-rounds N` turns recording off and on (lib/metrics).
    if (metricsToggle && req.url?.startsWith("/__bench/metrics?") && req.socket.remoteAddress?.replace(/^::ffff:/, "") === "127.0.0.1") {
      metricsToggle(req.url.endsWith("on=1"));
      res.writeHead(204).end();
      return;
    }
    // A path that does not decode would make every router below throw (a bare 500): 400 here.
    if (isMalformedPath(req.url ?? "/")) {
      const answer = malformedPathAnswer(new Headers(req.headers as Record<string, string>));
      logger().info({ requestId: answer.requestId, method: req.method, status: 400, code: "invalid_request" }, "malformed request path refused");
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    }
    // A body larger than any route reads is refused from its headers, unread: Next's proxy
    // would read it into memory first (lib/http/declared-body.ts, docs/adr/0032).
    if (refuseDeclaredOversizedBody(req, res)) {
      logger().info({ method: req.method, status: 413, code: "payload_too_large", contentLength: req.headers["content-length"] }, "oversized request body refused");
      return;
    }
    // Provider webhooks, LaML and liveness skip Next's router (bin/machine-routes.ts);
    // everything else is Next's.
    serveMachineRoute(req, res)
      .then((served) => (served ? undefined : handle(req, res)))
      .catch((err: unknown) => {
        console.error(err);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal Server Error");
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  console.log(`• Next.js (${dev ? "development" : "production"}) listening on http://${hostname}:${port}`);

  const close = () => {
    server.close();
    void app.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
}

main().catch((err: unknown) => {
  console.error(`\n✖ ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
