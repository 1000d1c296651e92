/**
 * The pieces of the embedded default that `npm run dev` (scripts/dev.ts) and `npm run cluster`
 * (scripts/cluster.ts) both assemble: the database (embedded Postgres unless DATABASE_URL is
 * set; migrations, the job schema, the demo seed), the secrets and credentials kept in the data
 * directory, the carrier and transcriber simulators, and the app server's command line.
 * Development tooling, never imported by production code.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { embeddedLayout, portIsFree, startEmbeddedPostgres, type EmbeddedDatabase } from "@/scripts/embedded-postgres";
import { connect } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { installJobSchema } from "@/lib/worker/schema";
import { seedDemo } from "@/scripts/seed";
import {
  speechProblem,
  startAssemblyAISimulator,
  startCarrierSimulator,
  stopSpeechWorker,
  type AssemblyAISimulator,
  type CarrierSimulator,
} from "@/scripts/simulator";

/** `given` when set, else the secret kept in `<dataDir>/<name>` (mode 0600), made once from `bytes` random bytes. */
async function keptSecret(dataDir: string, name: string, given: string | undefined, bytes: number): Promise<string> {
  if (given) return given;
  const file = path.join(dataDir, name);
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = randomBytes(bytes).toString("base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

/** The session secret: SESSION_SECRET, else one made once per data directory. */
export function sessionSecret(dataDir: string): Promise<string> {
  return keptSecret(dataDir, "session-secret", process.env.SESSION_SECRET, 48);
}

/**
 * The bearer token for /api/metrics and the workers' metrics ports: METRICS_TOKEN, else one
 * made once per data directory (`<data dir>/metrics-token`), as the README says.
 */
export function metricsToken(dataDir: string): Promise<string> {
  return keptSecret(dataDir, "metrics-token", process.env.METRICS_TOKEN, 32);
}

export interface CarrierCredentials {
  projectId: string;
  apiToken: string;
  signingKey: string;
}

/** The simulated carrier's credentials, made once per data directory (the benchmarks read them). */
export async function carrierCredentials(dataDir: string): Promise<CarrierCredentials> {
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

/** The simulated transcriber's API key, made once per data directory. */
export async function transcriberKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "transcriber-key");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const key = randomBytes(24).toString("hex");
  await writeFile(file, key, { mode: 0o600 });
  return key;
}

/** Wait until `url` answers 2xx; fail early if `child` exits first. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, name = "Next.js"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000}s`);
}

/** Wait for a stop step, but never longer than `ms`; a failed step is not fatal. */
export async function bounded(step: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!step) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([step.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Delete a data directory, and the embedded cluster's own directory when it lives elsewhere. */
export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  // As root from a directory the postgres user cannot enter, the data lives elsewhere: fresh there too.
  if (!process.env.DATABASE_URL) {
    const { dataDir: pgDir } = await embeddedLayout(path.join(dataDir, "pg"));
    if (pgDir !== path.join(dataDir, "pg")) await rm(pgDir, { recursive: true, force: true });
  }
}

export interface PreparedDatabase {
  url: string;
  /** The embedded server, when this process started one (stop it last). */
  embedded: EmbeddedDatabase | undefined;
  /** The demo organizations were seeded (embedded, or SEED_DEMO=true). */
  seeded: boolean;
}

/**
 * DATABASE_URL, or an embedded Postgres in `<dataDir>/pg` on `pgPort`; then the migrations, the
 * job schema and (embedded, or SEED_DEMO=true) the demo seed. Says what it does on stdout.
 */
export async function prepareDatabase({ dataDir, pgPort, fresh }: { dataDir: string; pgPort: number; fresh: boolean }): Promise<PreparedDatabase> {
  let url = process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    console.log(`• starting embedded Postgres (data in ${path.relative(process.cwd(), dataDir) || "."}/pg, port ${pgPort})`);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), port: pgPort, ephemeral: fresh });
    if (embedded.dataDir !== path.join(dataDir, "pg")) {
      console.log(`  (the postgres OS user cannot reach this directory, so its data lives in ${embedded.dataDir})`);
    }
    url = embedded.url;
  } else {
    console.log("• using DATABASE_URL");
  }
  try {
    const db = connect(url, 2);
    const applied = await migrate(db);
    await installJobSchema(url);
    console.log(`• migrations: ${applied.length ? `applied ${applied.length}` : "up to date"}`);
    const seeded = Boolean(embedded) || process.env.SEED_DEMO === "true";
    if (seeded) {
      await seedDemo(db);
      console.log("• demo data seeded");
    }
    await db.end();
    return { url, embedded, seeded };
  } catch (err) {
    await bounded(embedded?.stop(), 15_000);
    throw err;
  }
}

export interface Simulators {
  /** What the app (and workers) need in their environment to reach them through the SDKs. */
  env: Record<string, string>;
  carrier: CarrierSimulator | undefined;
  transcriber: AssemblyAISimulator | undefined;
  stop(): Promise<void>;
}

/**
 * The carrier simulator (unless SIGNALWIRE_PROJECT_ID is set) on `carrierPort`, and the
 * transcriber simulator (unless ASSEMBLYAI_API_KEY is set) on `transcriberPort` (0: any free
 * port), in this process. Their credentials are kept in the data directory; `carrier.json`
 * also records the simulator's URL for the benchmarks.
 */
export async function startSimulators({
  dataDir,
  host,
  carrierPort,
  transcriberPort,
  delayMs,
}: {
  dataDir: string;
  host: string;
  carrierPort: number;
  transcriberPort: number;
  delayMs: number;
}): Promise<Simulators> {
  const env: Record<string, string> = {};
  let carrier: CarrierSimulator | undefined;
  let transcriber: AssemblyAISimulator | undefined;
  const stop = async () => {
    await bounded(carrier?.stop(), 3000);
    await bounded(transcriber?.stop(), 3000);
    await bounded(stopSpeechWorker(), 3000);
  };
  try {
    // No SignalWire account configured: the simulator stands in, behind the real SDK.
    if (!process.env.SIGNALWIRE_PROJECT_ID) {
      const credentials = await carrierCredentials(dataDir);
      if (!(await portIsFree(carrierPort, host))) {
        throw new Error(`Port ${carrierPort} (carrier simulator) is in use. Stop whatever holds it or set CARRIER_SIMULATOR_PORT.`);
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
        port: carrierPort,
        host,
        ...credentials,
        audioDir: path.join(dataDir, "carrier-audio"),
        delayMs,
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
      const apiKey = await transcriberKey(dataDir);
      if (transcriberPort !== 0 && !(await portIsFree(transcriberPort, host))) {
        throw new Error(`Port ${transcriberPort} (transcriber simulator) is in use. Stop whatever holds it or set TRANSCRIBER_SIMULATOR_PORT.`);
      }
      transcriber = await startAssemblyAISimulator({ port: transcriberPort, host, apiKey });
      Object.assign(env, { ASSEMBLYAI_API_KEY: apiKey, TRANSCRIBER_SIMULATOR_URL: transcriber.url });
      console.log(`• transcriber simulator at ${transcriber.url} (transcription is simulated)`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, carrier, transcriber, stop };
}

/**
 * The app server's arguments for `node` (bin/server.ts, Next behind our own HTTP server, which
 * decides the client address from the socket). No react-server condition: Next renders both
 * server and client React in that process and picks its conditions itself. `node --import tsx`
 * rather than the tsx CLI: one process, so a signal reaches it directly.
 */
export function serverArgs({ host, port, dev }: { host: string; port: number; dev: boolean }): string[] {
  return ["--import", "tsx", "bin/server.ts", "--hostname", host, "--port", String(port), ...(dev ? ["--dev"] : [])];
}

/** The job worker's arguments for `node` (bin/worker.ts, as `npm run worker` runs it). */
export function workerArgs(): string[] {
  return ["--conditions=react-server", "--import", "tsx", "bin/worker.ts"];
}
