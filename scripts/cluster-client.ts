/**
 * Starting `npm run cluster` and a storm against it from another process: the browser test
 * (tests/e2e/cluster.spec.ts) and `npm run bench:cluster`. Node built-ins only, so a Playwright
 * spec can import it (the cluster and the storm themselves use server modules, which only a
 * process started with the react-server condition may load).
 */
import { spawn, type ChildProcess } from "node:child_process";

/** What scripts/cluster.ts writes to <data dir>/cluster.json (and prints with --json) once ready. */
export interface ClusterInfo {
  /** The balancer in front of the apps: PUBLIC_BASE_URL, what every callback is signed for. */
  publicBaseUrl: string;
  apps: { name: string; url: string; pid: number; log: string }[];
  workers: { name: string; pid: number; log: string }[];
  databaseUrl: string;
  carrier: { url: string; signingKey: string } | null;
  /** The environment every app and worker shares (secrets included: the file is mode 0600). */
  env: Record<string, string>;
}

export interface ClusterOptions {
  apps: number;
  workers: number;
  /** The balancer; the apps listen on the ports after it. */
  port: number;
  pgPort: number;
  carrierPort: number;
  transcriberPort: number;
  dataDir: string;
  fresh?: boolean;
  /** Start an app or worker that exits again (cluster.ts --restart). */
  restart?: boolean;
  env?: Record<string, string>;
}

export interface RunningCluster {
  info: ClusterInfo;
  /** Everything the orchestrator printed (its children log to files). */
  output(): string;
  /** Ctrl-C, as a person would; resolves with the orchestrator's exit code. */
  stop(): Promise<number | null>;
}

const tsx = ["--conditions=react-server", "--import", "tsx"];

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

export async function startClusterProcess(options: ClusterOptions, timeoutMs = 180_000): Promise<RunningCluster> {
  const argv = [
    ...tsx,
    "scripts/cluster.ts",
    "--json",
    "--apps", String(options.apps),
    "--workers", String(options.workers),
    "--port", String(options.port),
    "--pg-port", String(options.pgPort),
    "--carrier-port", String(options.carrierPort),
    "--transcriber-port", String(options.transcriberPort),
    "--data-dir", options.dataDir,
    ...(options.fresh ? ["--fresh"] : []),
    ...(options.restart ? ["--restart"] : []),
  ];
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const info = await new Promise<ClusterInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster was not ready within ${timeoutMs / 1000}s:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"cluster":'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { cluster: ClusterInfo }).cluster);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the cluster stopped (code ${code}) before it was ready:\n${out}`));
    });
  });
  return {
    info,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      return exited(child);
    },
  };
}

/** What scripts/cluster-storm.ts reports (its --json output). */
export interface StormReport {
  ok: boolean;
  calls: number;
  organizations: number;
  placement: { seconds: number; perSecond: number; perInstance: Record<string, number>; repeats: number; repeatMismatches: number; carrierCreates: number };
  callbacks: {
    distinct: number;
    deliveries: number;
    duplicates: number;
    outOfOrder: number;
    perInstance: Record<string, number>;
    seconds: number;
    perSecond: number;
    p50Ms: number;
    p99Ms: number;
    non2xx: Record<string, number>;
    /** Deliveries sent again because a kept-alive connection was reset before the server read them. */
    resets: number;
  };
  mismatches: number;
  mismatchSamples: { callId: string; field: string; carrier: unknown; call: unknown }[];
  sealing: { secondsAfterLastCallback: number; callsSealed: number; callsWithOneVersion: number };
  jobs: { sealRuns: number; keysRunOnce: number; keysNotRun: number; keysRunMoreThanOnce: number; jobIdsRunMoreThanOnce: number; perWorker: Record<string, number>; failedRuns: number };
  logs: { organizationId: string; leaves: number; heads: number; ok: boolean; failures: string[] }[];
  verifySeconds: number;
  evidenceKeys: { instances: number; sameKeys: boolean; sameTsa: boolean };
  problems: string[];
}

/** Run scripts/cluster-storm.ts against the cluster in `dataDir`; its report. */
export async function runStormProcess(dataDir: string, { calls, concurrency = 32 }: { calls: number; concurrency?: number }): Promise<{ report: StormReport; output: string }> {
  const child = spawn(process.execPath, [...tsx, "scripts/cluster-storm.ts", "--data-dir", dataDir, "--calls", String(calls), "--concurrency", String(concurrency), "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await exited(child);
  const line = out.split("\n").find((l) => l.startsWith('{"storm":'));
  if (!line) throw new Error(`the storm printed no report:\n${out}`);
  return { report: (JSON.parse(line) as { storm: StormReport }).storm, output: out };
}
