/**
 * `npm run cluster -- --apps 2 --workers 2`: the embedded default as a deployment runs it, with
 * several of each process on one database. One Postgres (embedded unless DATABASE_URL is set),
 * the simulators, N app servers (bin/server.ts, production build: `npm run build` first), M job
 * workers (bin/worker.ts), and in front of the apps a small round-robin balancer that stands in
 * for a load balancer: PUBLIC_BASE_URL is the balancer, so every provider callback may reach any
 * instance. The apps run with JOBS_IN_PROCESS=false and trust X-Forwarded-For from loopback
 * (the balancer). Everything that must be shared is: the database, the storage directory, the
 * evidence key and TSA directories, the session secret and the carrier's credentials.
 * Ctrl-C stops everything.
 *
 *   --apps N               app processes (default 2)
 *   --workers M            job worker processes (default 2)
 *   --port P               the balancer, i.e. PUBLIC_BASE_URL (default PORT or 3000); the apps
 *                          listen on P+1 … P+N, where tests and benchmarks reach one directly
 *   --pg-port, --carrier-port, --transcriber-port
 *                          the embedded Postgres (default EMBEDDED_PG_PORT or 54329 + P − 3000),
 *                          the carrier simulator (default CARRIER_SIMULATOR_PORT or 3990 + P −
 *                          3000) and the transcriber simulator (default: any free port)
 *   --data-dir DIR         the stack's data, as for `npm run dev` (default .data); each process
 *                          logs to DIR/logs/<name>.log, and DIR/cluster.json says where
 *                          everything is once the cluster is ready (mode 0600: it holds secrets)
 *   --fresh                delete the data directory first
 *   --worker-log-level L   the workers' LOG_LEVEL (default debug: one line per job run, which
 *                          `npm run bench:cluster` counts); the apps use LOG_LEVEL (default info)
 *   --json                 when ready, print one line `{"cluster": …}` (cluster.json's content)
 *   --restart              start an app or worker that exits again, as a process manager would,
 *                          instead of stopping everything (`npm run bench:campaign` kills them
 *                          mid-run); cluster.json then names the new pid. One that exits within
 *                          10 s of starting is not restarted: that is a crash loop
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedPostgresError, portIsFree } from "@/scripts/embedded-postgres";
import { DEMO_PASSWORD, DEMO_USERS } from "@/scripts/seed";
import {
  bounded,
  carrierCredentials,
  metricsToken,
  prepareDatabase,
  removeDataDir,
  serverArgs,
  sessionSecret,
  startSimulators,
  waitForHttp,
  workerArgs,
  type PreparedDatabase,
  type Simulators,
} from "@/scripts/stack";
import type { ClusterInfo } from "@/scripts/cluster-client";

const { values: args } = parseArgs({
  options: {
    apps: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    port: { type: "string" },
    "pg-port": { type: "string" },
    "carrier-port": { type: "string" },
    "transcriber-port": { type: "string" },
    "data-dir": { type: "string", default: ".data" },
    fresh: { type: "boolean", default: false },
    "worker-log-level": { type: "string", default: "debug" },
    json: { type: "boolean", default: false },
    restart: { type: "boolean", default: false },
  },
});

const host = "127.0.0.1";
const appCount = Number(args.apps);
const workerCount = Number(args.workers);
const port = Number(args.port ?? process.env.PORT ?? 3000);
const pgPort = Number(args["pg-port"] ?? process.env.EMBEDDED_PG_PORT ?? 54329 + (port - 3000));
const carrierPort = Number(args["carrier-port"] ?? process.env.CARRIER_SIMULATOR_PORT ?? 3990 + (port - 3000));
const transcriberPort = Number(args["transcriber-port"] ?? process.env.TRANSCRIBER_SIMULATOR_PORT ?? 0);
const dataDir = path.resolve(args["data-dir"]!);
const logDir = path.join(dataDir, "logs");

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

interface Proc {
  name: string;
  kind: "app" | "worker";
  child: ChildProcess;
  log: string;
  url?: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  startedAt: number;
}

let database: PreparedDatabase | undefined;
let simulators: Simulators | undefined;
let balancer: http.Server | undefined;
let info: ClusterInfo | undefined;
const procs: Proc[] = [];
let stopping = false;

/**
 * Round-robin HTTP balancer, the part of a load balancer the apps notice: each request goes to
 * the next app, with the client's address appended to X-Forwarded-For; answers (server-sent
 * event streams included) are piped back as they come.
 */
function startBalancer(targets: URL[]): Promise<http.Server> {
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const target = targets[next++ % targets.length]!;
    const peer = req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
    const forwarded = req.headers["x-forwarded-for"];
    const headers = { ...req.headers, "x-forwarded-for": forwarded ? `${forwarded}, ${peer}` : peer, "x-forwarded-proto": "http" };
    const upstream = http.request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("The app behind the balancer did not answer.");
      else res.destroy();
    });
    // The client went away before the answer ended (a closed page's event stream): let the app know.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function spawnLogged(name: string, kind: Proc["kind"], argv: string[], env: NodeJS.ProcessEnv, url?: string): Proc {
  const log = path.join(logDir, `${name}.log`);
  const fd = openSync(log, "a", 0o600);
  const child = spawn(process.execPath, argv, { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const proc: Proc = { name, kind, child, log, url, argv, env, startedAt: Date.now() };
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const how = signal ?? `code ${code}`;
    if (args.restart && info && Date.now() - proc.startedAt >= 10_000) {
      procs.splice(procs.indexOf(proc), 1);
      const again = spawnLogged(name, kind, argv, env, url);
      console.error(`• ${name} exited (${how}); started again, pid ${again.child.pid}`);
      for (const entry of [...info.apps, ...info.workers]) if (entry.name === name) entry.pid = again.child.pid!;
      void writeInfo(info);
      return;
    }
    void readFile(log, "utf8").then((text) => {
      console.error(`\n✖ ${name} exited (${how}); the end of ${path.relative(process.cwd(), log)}:\n${text.split("\n").slice(-15).join("\n")}`);
      void stop(1);
    });
  });
  procs.push(proc);
  return proc;
}

function writeInfo(cluster: ClusterInfo): Promise<void> {
  return writeFile(path.join(dataDir, "cluster.json"), JSON.stringify(cluster, null, 2), { mode: 0o600 });
}

async function waitForLogLine(proc: Proc, marker: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with code ${proc.child.exitCode} before it was ready`);
    if ((await readFile(proc.log, "utf8").catch(() => "")).includes(marker)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${proc.name} did not say "${marker}" within ${timeoutMs / 1000}s`);
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!args.json) console.log("\n• stopping the apps, the workers and Postgres");
  setTimeout(() => {
    console.error("✖ shutdown took too long; exiting");
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    process.exit(code || 1);
  }, 45_000).unref();
  balancer?.closeAllConnections();
  balancer?.close();
  // Workers finish the jobs they hold (bin/worker.ts waits up to 30 s); apps close at once.
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const force = setTimeout(() => p.child.kill("SIGKILL"), p.kind === "worker" ? 35_000 : 5000);
          p.child.once("exit", () => {
            clearTimeout(force);
            resolve();
          });
          p.child.kill("SIGTERM");
        }),
    ),
  );
  await simulators?.stop();
  await bounded(database?.embedded?.stop(), 15_000);
  if (!args.json) console.log("• stopped");
  process.exit(code);
}

async function main(): Promise<void> {
  if (!Number.isInteger(appCount) || appCount < 1) fail(`--apps must be a positive integer, not ${args.apps}`);
  if (!Number.isInteger(workerCount) || workerCount < 1) fail(`--workers must be a positive integer, not ${args.workers}`);
  for (const [what, p] of [["--port", port], ["--pg-port", pgPort], ["--carrier-port", carrierPort]] as const) {
    if (!Number.isInteger(p) || p <= 0 || p > 65535) fail(`${what} must be a port number, not ${p}`);
  }
  const appPorts = Array.from({ length: appCount }, (_, i) => port + 1 + i);
  for (const p of [port, ...appPorts]) {
    if (!(await portIsFree(p, host))) fail(`Port ${p} is in use (the balancer is on --port, the apps on the ports after it). Stop whatever holds it or pass another --port.`);
  }
  if (!existsSync(path.resolve(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) fail("No production build found: run `npm run build` first.");
  if (args.fresh) await removeDataDir(dataDir);
  await mkdir(logDir, { recursive: true, mode: 0o755 });

  database = await prepareDatabase({ dataDir, pgPort, fresh: args.fresh! });
  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://${host}:${port}`;
  const shared: Record<string, string> = {
    DATABASE_URL: database.url,
    SESSION_SECRET: await sessionSecret(dataDir),
    METRICS_TOKEN: await metricsToken(dataDir),
    PUBLIC_BASE_URL: publicBaseUrl,
    STORAGE_DIR: process.env.STORAGE_DIR ?? path.join(dataDir, "storage"),
    MAIL_OUTBOX_DIR: process.env.MAIL_OUTBOX_DIR ?? path.join(dataDir, "outbox"),
    EVIDENCE_KEYS_DIR: process.env.EVIDENCE_KEYS_DIR ?? path.join(dataDir, "evidence-keys"),
    EVIDENCE_TSA_DIR: process.env.EVIDENCE_TSA_DIR ?? path.join(dataDir, "evidence-tsa"),
    JOBS_IN_PROCESS: "false",
    TRUSTED_PROXIES: process.env.TRUSTED_PROXIES ?? "loopback",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  simulators = await startSimulators({ dataDir, host, carrierPort, transcriberPort, delayMs: Number(process.env.CARRIER_SIMULATOR_DELAY_MS ?? 700) });
  Object.assign(shared, simulators.env);
  const env = { ...process.env, ...shared };

  // Every process starts at once, as after a deploy: the first seal in each creates the shared
  // evidence key and TSA if they are missing, and they must agree on one (keys.ts, local-tsa.ts).
  const apps = appPorts.map((p, i) => spawnLogged(`app-${i + 1}`, "app", serverArgs({ host, port: p, dev: false }), env, `http://${host}:${p}`));
  const workers = Array.from({ length: workerCount }, (_, i) =>
    spawnLogged(`worker-${i + 1}`, "worker", workerArgs(), { ...env, LOG_LEVEL: args["worker-log-level"]! }),
  );
  if (!args.json) console.log(`• starting ${appCount} app${appCount === 1 ? "" : "s"} and ${workerCount} worker${workerCount === 1 ? "" : "s"} (logs in ${path.relative(process.cwd(), logDir)}/)`);
  await Promise.all([
    ...apps.map((a) => waitForHttp(`${a.url}/api/health/ready`, a.child, 90_000, a.name)),
    ...workers.map((w) => waitForLogLine(w, "job worker started", 90_000)),
  ]);
  balancer = await startBalancer(apps.map((a) => new URL(a.url!)));

  const credentials = await carrierCredentials(dataDir);
  info = {
    publicBaseUrl,
    apps: apps.map((a) => ({ name: a.name, url: a.url!, pid: a.child.pid!, log: a.log })),
    workers: workers.map((w) => ({ name: w.name, pid: w.child.pid!, log: w.log })),
    databaseUrl: database.url,
    carrier: simulators.carrier ? { url: simulators.carrier.url, signingKey: credentials.signingKey } : null,
    env: shared,
  };
  await writeInfo(info);

  if (args.json) {
    console.log(JSON.stringify({ cluster: info }));
    return;
  }
  console.log(`\n✔ Verbatim is running at ${publicBaseUrl} (a round-robin balancer in front of ${appCount} app${appCount === 1 ? "" : "s"})`);
  for (const a of info.apps) console.log(`    ${a.name.padEnd(10)} ${a.url}  pid ${a.pid}`);
  for (const w of info.workers) console.log(`    ${w.name.padEnd(10)} job worker  pid ${w.pid}`);
  if (database.seeded) {
    console.log(`  Demo sign-ins (password "${DEMO_PASSWORD}"):`);
    for (const user of DEMO_USERS) console.log(`    ${user.email.padEnd(22)} ${user.role}`);
  }
  console.log("  Ctrl-C stops everything.\n");
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("exit", () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
});

main().catch(async (err: unknown) => {
  console.error(`\n✖ ${err instanceof EmbeddedPostgresError || err instanceof Error ? err.message : String(err)}\n`);
  await stop(1);
});
