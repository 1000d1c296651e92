/**
 * `npm run dev`: the whole embedded default in one command. Starts a real Postgres (unless
 * DATABASE_URL is set), applies migrations, seeds the demo organizations, starts the carrier
 * simulator and, in the same process, the transcriber simulator (AssemblyAI's stand-in), then Next.js; prints the URL and the demo sign-ins. Ctrl-C stops everything.
 *
 *   --production      serve the existing build (bin/server.ts) instead of Turbopack dev
 *   --port N          app port (default PORT or 3000)
 *   --data-dir DIR    where Postgres data, storage, the outbox and the session secret live (default .data)
 *   --fresh           delete the data directory first (tests)
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedPostgresError, portIsFree } from "@/scripts/embedded-postgres";
import { DEMO_PASSWORD, DEMO_USERS } from "@/scripts/seed";
import { bounded, metricsToken, prepareDatabase, removeDataDir, serverArgs, sessionSecret, startSimulators, waitForHttp, type PreparedDatabase, type Simulators } from "@/scripts/stack";

const { values: args } = parseArgs({
  options: {
    production: { type: "boolean", default: false },
    port: { type: "string" },
    "data-dir": { type: "string", default: ".data" },
    fresh: { type: "boolean", default: false },
  },
});

const port = Number(args.port ?? process.env.PORT ?? 3000);
const host = "127.0.0.1";
const dataDir = path.resolve(args["data-dir"]!);
const pgPort = Number(process.env.EMBEDDED_PG_PORT ?? 54329 + (port - 3000));

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

let database: PreparedDatabase | undefined;
let simulators: Simulators | undefined;

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port <= 0) fail(`--port must be a port number, not ${args.port}`);
  if (!(await portIsFree(port, host))) {
    fail(`Port ${port} is in use. Stop whatever holds it (another \`npm run dev\`?) or pass --port / set PORT.`);
  }
  if (args.production && !existsSync(path.resolve(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
    fail("No production build found: run `npm run build` first.");
  }
  if (args.fresh) await removeDataDir(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });

  database = await prepareDatabase({ dataDir, pgPort, fresh: args.fresh! });
  const seeding = database.seeded;

  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://${host}:${port}`;
  const outboxDir = process.env.MAIL_OUTBOX_DIR ?? path.join(dataDir, "outbox");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    SESSION_SECRET: await sessionSecret(dataDir),
    METRICS_TOKEN: await metricsToken(dataDir),
    PUBLIC_BASE_URL: publicBaseUrl,
    STORAGE_DIR: process.env.STORAGE_DIR ?? path.join(dataDir, "storage"),
    MAIL_OUTBOX_DIR: outboxDir,
    NODE_ENV: args.production ? "production" : "development",
    NEXT_TELEMETRY_DISABLED: "1",
  };

  simulators = await startSimulators({
    dataDir,
    host,
    carrierPort: Number(process.env.CARRIER_SIMULATOR_PORT ?? 3990 + (port - 3000)),
    // Any free port unless one is asked for: only the app, told through the environment, calls it.
    transcriberPort: Number(process.env.TRANSCRIBER_SIMULATOR_PORT ?? 0),
    delayMs: Number(process.env.CARRIER_SIMULATOR_DELAY_MS ?? 700),
  });
  Object.assign(env, simulators.env);

  // Our own server in front of Next (bin/server.ts), in development as in production: it
  // decides the client address from the socket.
  const child = spawn(process.execPath, serverArgs({ host, port, dev: !args.production }), { env, stdio: "inherit" });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\n• stopping Next.js and Postgres");
    // Every step is bounded, and so is the whole: Ctrl-C never leaves a terminal hanging.
    setTimeout(() => {
      console.error("✖ shutdown took too long; exiting");
      if (child.exitCode === null) child.kill("SIGKILL");
      process.exit(code || 1);
    }, 25_000).unref();
    if (child.exitCode === null) child.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const force = setTimeout(() => child.kill("SIGKILL"), 5000);
      const giveUp = setTimeout(resolve, 7000);
      child.once("exit", () => {
        clearTimeout(force);
        clearTimeout(giveUp);
        resolve();
      });
    });
    await simulators?.stop();
    await bounded(database?.embedded?.stop(), 15_000);
    console.log("• stopped");
    process.exit(code);
  };
  // embedded-postgres also stops its server on these signals (async-exit-hook) and may exit
  // first; either way Next gets its SIGTERM here synchronously and Postgres is stopped.
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  process.on("exit", () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  child.on("exit", (code) => void stop(code ?? 1));

  const url = `http://${host}:${port}`;
  await waitForHttp(`${url}/api/health/ready`, child, args.production ? 60_000 : 180_000);
  console.log(`\n✔ Verbatim is running at ${url}`);
  if (seeding) {
    console.log(`  Demo sign-ins (password "${DEMO_PASSWORD}"):`);
    for (const user of DEMO_USERS) console.log(`    ${user.email.padEnd(22)} ${user.role}`);
  }
  if (!process.env.SMTP_URL) {
    // Without a mail server nothing proves who reads an address (docs/adr/0027): say where mail goes.
    console.log(`  No SMTP: invitation links are shown to the inviter; links to set a password go to ${path.relative(process.cwd(), outboxDir) || "."}/.`);
  }
  console.log("  Ctrl-C stops the app and the database.\n");
}

main().catch(async (err: unknown) => {
  await simulators?.stop();
  await bounded(database?.embedded?.stop(), 15_000);
  fail(err instanceof EmbeddedPostgresError || err instanceof Error ? err.message : String(err));
});
