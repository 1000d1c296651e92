import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { sessionFromClaims, type Session } from "@/lib/db/claims";
import { resetConfig } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { startWorker, type RunningWorker } from "@/lib/worker/runner";
import { authorize, type Membership } from "@/lib/rbac/authorize";
import type { Plan, Role } from "@/lib/rbac/policy";
import { resetStorage } from "@/lib/storage";
import {
  startAssemblyAISimulator,
  type AssemblyAISimulator,
  type AssemblyAISimulatorOptions,
  type CarrierSimulator,
  type CarrierSimulatorOptions,
} from "@/scripts/simulator";
import { serveMachineRoute } from "@/bin/machine-routes";
import { createOrg, member } from "@/tests/support/fixtures";
import { clearSignalWire, configureSignalWire, startTestCarrier } from "@/tests/support/signalwire";

/**
 * The recording → transcription pipeline as the integration tests run it: a small HTTP app that
 * serves the machine routes (webhooks) and signed storage URLs to the stand-ins, the carrier
 * stand-in (real SignalWire SDK), the AssemblyAI stand-in (real SDK, webhooks over HTTP),
 * filesystem storage in a temporary directory, and graphile-worker running the jobs.
 */
export interface PipelineOptions {
  /** Prefix of the temporary storage directory, e.g. "verbatim-asr-". */
  tmpPrefix: string;
  /** The AssemblyAI stand-in's key, as the app is configured with it. */
  apiKey: string;
  /** Options of the AssemblyAI stand-in beyond its port, key and (fast) pacing. */
  transcriber?: Pick<AssemblyAISimulatorOptions, "slowMs">;
  /** Options of the carrier stand-in, e.g. a speech synthesizer that fails. */
  carrier?: Pick<CarrierSimulatorOptions, "synthesize">;
}

export interface Pipeline {
  /** The app's own origin: what PUBLIC_BASE_URL is set to, so the stand-ins call back here. */
  readonly appUrl: string;
  readonly carrier: CarrierSimulator;
  readonly transcriber: AssemblyAISimulator;
  /** A silent logger, the worker's and the one to hand to what the tests call. */
  readonly log: pino.Logger;
}

const TRANSCRIBER_ENV = ["ASSEMBLYAI_API_KEY", "TRANSCRIBER_SIMULATOR_URL", "STORAGE_DIR"];

/** Registers the beforeAll that starts the pipeline and the afterAll that stops it and clears its environment. */
export function setupPipeline(options: PipelineOptions): Pipeline {
  const log = pino({ level: "silent" });
  let carrier: CarrierSimulator | undefined;
  let transcriber: AssemblyAISimulator | undefined;
  let app: Server | undefined;
  let appUrl: string | undefined;
  let worker: RunningWorker | undefined;
  let storageDir: string | undefined;

  async function startApp(): Promise<void> {
    const server = createServer((req, res) => {
      void (async () => {
        if (await serveMachineRoute(req, res)) return;
        const url = new URL(req.url ?? "/", appUrl);
        if (!url.pathname.startsWith("/api/storage/")) return void res.writeHead(404).end();
        const mod = await import("@/app/api/storage/[...path]/route");
        const response = await mod.GET(new Request(`${appUrl}${req.url}`, { method: req.method }), {
          params: Promise.resolve({ path: url.pathname.slice("/api/storage/".length).split("/") }),
        });
        const body = Buffer.from(await response.arrayBuffer());
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      })().catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    app = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(os.tmpdir(), options.tmpPrefix));
    await startApp();
    carrier = await startTestCarrier(options.carrier);
    transcriber = await startAssemblyAISimulator({ port: 0, apiKey: options.apiKey, delayMs: 20, retryDelayMs: 20, ...options.transcriber });
    configureSignalWire({
      PUBLIC_BASE_URL: appUrl!,
      CARRIER_SIMULATOR_URL: carrier.url,
      ASSEMBLYAI_API_KEY: options.apiKey,
      TRANSCRIBER_SIMULATOR_URL: transcriber.url,
      STORAGE_DIR: storageDir,
    });
    resetStorage();
    worker = await startWorker({ crontab: false, pollInterval: 100, concurrency: 3, log });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await transcriber?.stop();
    await carrier?.stop();
    await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
    for (const name of TRANSCRIBER_ENV) delete process.env[name];
    clearSignalWire();
    resetConfig();
    resetStorage();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`the pipeline's ${what} is not started (read it inside a test or hook)`);
    return value;
  };
  return {
    get appUrl() { return started("app", appUrl); },
    get carrier() { return started("carrier stand-in", carrier); },
    get transcriber() { return started("AssemblyAI stand-in", transcriber); },
    log,
  };
}

/** Polls `probe` every 100 ms until it returns something truthy, which it returns; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ROLES = ["owner", "admin", "operator", "analyst", "viewer"] as const;

/** An organization that records and transcribes its calls, with one member (session and membership) per role. */
export interface RecordingOrg {
  id: string;
  sessions: Record<Role, Session>;
  memberships: Record<Role, Membership>;
  ownerId: string;
}

export async function recordingOrg(plan: Plan, config: { translate?: string[]; redact?: boolean } = {}): Promise<RecordingOrg> {
  const id = await createOrg(plan);
  await sql()`
    insert into public.voice_configs (organization_id, record, transcribe, translate, translate_languages, redact_pii, disclosure_text)
    values (${id}, true, true, ${Boolean(config.translate)}, ${config.translate ?? []}, ${config.redact ?? false}, 'This call is recorded.')`;
  const sessions = {} as Record<Role, Session>;
  const memberships = {} as Record<Role, Membership>;
  let ownerId = "";
  for (const role of ROLES) {
    const m = await member(id, role);
    if (role === "owner") ownerId = m.userId;
    sessions[role] = sessionFromClaims(m.claims);
    memberships[role] = await authorize(sessions[role], "operations.view", id);
  }
  return { id, sessions, memberships, ownerId };
}
