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
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedPostgresError, embeddedLayout, portIsFree, startEmbeddedPostgres, type EmbeddedDatabase } from "@/scripts/embedded-postgres";
import { connect } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { installJobSchema } from "@/lib/worker/schema";
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from "@/scripts/seed";
import {
  speechProblem,
  startAssemblyAISimulator,
  startCarrierSimulator,
  stopSpeechWorker,
  type AssemblyAISimulator,
  type CarrierSimulator,
} from "@/scripts/simulator";

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

async function sessionSecret(): Promise<string> {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  const file = path.join(dataDir, "session-secret");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = randomBytes(48).toString("base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

interface CarrierCredentials {
  projectId: string;
  apiToken: string;
  signingKey: string;
}

/** The simulated carrier's credentials, made once per data directory (the benchmark reads them). */
async function carrierCredentials(): Promise<CarrierCredentials> {
  const file = path.join(dataDir, "carrier.json");
  if (existsSync(file)) {
    const { projectId, apiToken, signingKey } = JSON.parse(await readFile(file, "utf8")) as CarrierCredentials;
    return { projectId, apiToken, signingKey };
  }
  const credentials = {
    projectId: crypto.randomUUID(),
    apiToken: `PT${randomBytes(24).toString("hex")}`,
    signingKey: `PSK_${randomBytes(24).toString("base64url")}`,
  };
  await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Next.js exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`Next.js did not answer ${url} within ${timeoutMs / 1000}s`);
}

let embedded: EmbeddedDatabase | undefined;

/** Wait for a stop step, but never longer than `ms`; a failed step is not fatal. */
async function bounded(step: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!step) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([step.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
let carrier: CarrierSimulator | undefined;
let transcriber: AssemblyAISimulator | undefined;

/** The simulated transcriber's API key, made once per data directory. */
async function transcriberKey(): Promise<string> {
  const file = path.join(dataDir, "transcriber-key");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const key = randomBytes(24).toString("hex");
  await writeFile(file, key, { mode: 0o600 });
  return key;
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port <= 0) fail(`--port must be a port number, not ${args.port}`);
  if (!(await portIsFree(port, host))) {
    fail(`Port ${port} is in use. Stop whatever holds it (another \`npm run dev\`?) or pass --port / set PORT.`);
  }
  if (args.production && !existsSync(path.resolve(process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
    fail("No production build found: run `npm run build` first.");
  }
  if (args.fresh) {
    await rm(dataDir, { recursive: true, force: true });
    // As root from a directory the postgres user cannot enter, the data lives elsewhere: fresh there too.
    if (!process.env.DATABASE_URL) {
      const { dataDir: pgDir } = await embeddedLayout(path.join(dataDir, "pg"));
      if (pgDir !== path.join(dataDir, "pg")) await rm(pgDir, { recursive: true, force: true });
    }
  }
  await mkdir(dataDir, { recursive: true, mode: 0o755 });

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log(`• starting embedded Postgres (data in ${path.relative(process.cwd(), dataDir) || "."}/pg, port ${pgPort})`);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), port: pgPort, ephemeral: args.fresh });
    if (embedded.dataDir !== path.join(dataDir, "pg")) {
      console.log(`  (the postgres OS user cannot reach this directory, so its data lives in ${embedded.dataDir})`);
    }
    databaseUrl = embedded.url;
  } else {
    console.log("• using DATABASE_URL");
  }

  const db = connect(databaseUrl, 2);
  const applied = await migrate(db);
  await installJobSchema(databaseUrl);
  console.log(`• migrations: ${applied.length ? `applied ${applied.length}` : "up to date"}`);
  const seeding = Boolean(embedded) || process.env.SEED_DEMO === "true";
  if (seeding) {
    await seedDemo(db);
    console.log("• demo data seeded");
  }
  await db.end();

  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://${host}:${port}`;
  const outboxDir = process.env.MAIL_OUTBOX_DIR ?? path.join(dataDir, "outbox");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: await sessionSecret(),
    PUBLIC_BASE_URL: publicBaseUrl,
    STORAGE_DIR: process.env.STORAGE_DIR ?? path.join(dataDir, "storage"),
    MAIL_OUTBOX_DIR: outboxDir,
    NODE_ENV: args.production ? "production" : "development",
    NEXT_TELEMETRY_DISABLED: "1",
  };

  // No SignalWire account configured: the simulator stands in, behind the real SDK.
  if (!process.env.SIGNALWIRE_PROJECT_ID) {
    const credentials = await carrierCredentials();
    const simulatorPort = Number(process.env.CARRIER_SIMULATOR_PORT ?? 3990 + (port - 3000));
    if (!(await portIsFree(simulatorPort, host))) {
      throw new Error(`Port ${simulatorPort} (carrier simulator) is in use. Stop whatever holds it or set CARRIER_SIMULATOR_PORT.`);
    }
    // Say at start what the simulator cannot do here, in the terminal and on the page, rather
    // than let calls end "completed" with nothing behind "Recording: on".
    const speech = await speechProblem();
    if (speech) {
      console.warn(`⚠ speech synthesis is unavailable (${speech}): simulated calls will report their recordings absent`);
      env.CARRIER_SIMULATOR_NOTICE = `speech synthesis is unavailable (${speech.slice(0, 300)}), so simulated recordings are reported absent.`;
    } else {
      console.log("• speech synthesis: eSpeak NG (WebAssembly) is ready");
    }
    carrier = await startCarrierSimulator({
      port: simulatorPort,
      host,
      ...credentials,
      audioDir: path.join(dataDir, "carrier-audio"),
      delayMs: Number(process.env.CARRIER_SIMULATOR_DELAY_MS ?? 700),
      warn: (line) => console.warn(`[carrier] ⚠ ${line}`),
    });
    await writeFile(path.join(dataDir, "carrier.json"), JSON.stringify({ ...credentials, url: carrier.url }, null, 2), { mode: 0o600 });
    Object.assign(env, {
      SIGNALWIRE_PROJECT_ID: credentials.projectId,
      SIGNALWIRE_API_TOKEN: credentials.apiToken,
      SIGNALWIRE_SIGNING_KEY: credentials.signingKey,
      SIGNALWIRE_SPACE_URL: "simulated.signalwire.invalid",
      SIGNALWIRE_FROM_NUMBER: "+14155550100",
      CARRIER_SIMULATOR_URL: carrier.url,
    });
    console.log(`• carrier simulator at ${carrier.url} (calls are simulated)`);
  }

  // No AssemblyAI key configured: its stand-in runs here, in this process beside the carrier's,
  // and the app reaches it through the real SDK's baseUrl.
  if (!process.env.ASSEMBLYAI_API_KEY) {
    const apiKey = await transcriberKey();
    // Any free port unless one is asked for: only the app, told through the environment, calls it.
    const transcriberPort = Number(process.env.TRANSCRIBER_SIMULATOR_PORT ?? 0);
    if (transcriberPort !== 0 && !(await portIsFree(transcriberPort, host))) {
      throw new Error(`Port ${transcriberPort} (transcriber simulator) is in use. Stop whatever holds it or set TRANSCRIBER_SIMULATOR_PORT.`);
    }
    transcriber = await startAssemblyAISimulator({ port: transcriberPort, host, apiKey });
    Object.assign(env, { ASSEMBLYAI_API_KEY: apiKey, TRANSCRIBER_SIMULATOR_URL: transcriber.url });
    console.log(`• transcriber simulator at ${transcriber.url} (transcription is simulated)`);
  }

  // Our own server in front of Next (bin/server.ts), in development as in production: it
  // decides the client address from the socket. No react-server condition here: Next renders
  // both server and client React in that process and picks its conditions itself.
  // `node --import tsx` rather than the tsx CLI: one process, so a signal reaches it directly.
  const serverArgs = ["--import", "tsx", "bin/server.ts", "--hostname", host, "--port", String(port), ...(args.production ? [] : ["--dev"])];
  const child = spawn(process.execPath, serverArgs, { env, stdio: "inherit" });

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
    await bounded(carrier?.stop(), 3000);
    await bounded(transcriber?.stop(), 3000);
    await bounded(stopSpeechWorker(), 3000);
    await bounded(embedded?.stop(), 15_000);
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
  await bounded(carrier?.stop(), 3000);
  await bounded(transcriber?.stop(), 3000);
  await bounded(embedded?.stop(), 15_000);
  fail(err instanceof EmbeddedPostgresError || err instanceof Error ? err.message : String(err));
});
