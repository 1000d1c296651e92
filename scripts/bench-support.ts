/**
 * What the benchmark scripts share: where the embedded database of a running app is, a demo
 * sign-in, and percentiles. Development tooling, like the rest of scripts/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { DEMO_PASSWORD } from "@/scripts/seed";

/** The database to measure: --database-url, else DATABASE_URL, else the embedded one `npm start` runs for this app port. */
export function benchDatabaseUrl(base: string, given: string | undefined): string {
  if (given) return given;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const appPort = Number(new URL(base).port || 80);
  const pgPort = Number(process.env.EMBEDDED_PG_PORT ?? 54329 + (appPort - 3000));
  return `postgres://postgres:verbatim-local@127.0.0.1:${pgPort}/verbatim`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sign in as a demo user; the session cookie to send with each request. */
export async function signInCookie(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/**
 * A keep-alive HTTP client for the benchmarks, on node:http rather than fetch: the benchmarks
 * run on the machine they measure, and fetch's own cost (web streams, Request and Response
 * objects) would be counted against the server. Every measured request goes through this, so
 * the routes compared with each other pay the same client.
 */
export function httpClient(sockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const send = (method: string, url: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
        res.once("error", reject);
      });
      req.once("error", reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/**
 * The production app as `npm start` runs it (scripts/dev.ts --production) on `port` with its data
 * in `dataDir`, its output in dataDir/app.log; resolves when /api/health/ready answers, with the
 * pid of its server process (bin/server.ts, the orchestrator's child) for reading its memory.
 */
export async function startProductionApp({ port, dataDir, env }: { port: number; dataDir: string; env: Record<string, string | undefined> }): Promise<{ app: ChildProcess; pid: number }> {
  await mkdir(dataDir, { recursive: true });
  const logFile = createWriteStream(path.join(dataDir, "app.log"));
  const app = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/dev.ts", "--production", "--port", String(port), "--data-dir", dataDir], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout!.pipe(logFile);
  app.stderr!.pipe(logFile);
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (app.exitCode !== null) throw new Error(`npm start exited with code ${app.exitCode}; see ${path.join(dataDir, "app.log")}`);
    if (Date.now() > deadline) throw new Error(`the app did not become ready; see ${path.join(dataDir, "app.log")}`);
    const ready = await fetch(`http://127.0.0.1:${port}/api/health/ready`).catch(() => null);
    if (ready?.ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { app, pid: serverPid(port) };
}

/** The Next.js server process (bin/server.ts on this port), which `npm start` runs as its child. */
export function serverPid(port: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.some((a) => a.endsWith("bin/server.ts")) && args.includes(String(port))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no bin/server.ts process on port ${port}`);
}

/** Stop an app started by startProductionApp, as Ctrl-C would. */
export async function stopApp(app: ChildProcess): Promise<void> {
  if (app.exitCode !== null) return;
  app.kill("SIGINT");
  await new Promise((resolve) => app.once("exit", resolve));
}

/** A stream of `bytes` zero bytes, 1 MiB at a time, for uploads past a limit without holding them. */
export function zeros(bytes: number): Readable {
  const chunk = Buffer.alloc(1024 ** 2);
  let left = bytes;
  return Readable.from((function* () {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  })());
}
