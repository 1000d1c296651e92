import { createServer } from "node:net";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError, embeddedLayout, startEmbeddedPostgres } from "@/scripts/embedded-postgres";
import { connect } from "@/lib/db/client";

/** Start-up failures are clear errors within seconds, never hangs; data survives a restart. */
const dirs: string[] = [];
const scratch = async (mode = 0o755) => {
  const dir = await mkdtemp(path.resolve(".test-data/embedded-"));
  await chmod(dir, mode);
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) {
    // As root from a directory the postgres user cannot enter, a cluster lives under /var/tmp.
    const { dataDir } = await embeddedLayout(path.join(dir, "pg"));
    await rm(dir, { recursive: true, force: true });
    if (!dataDir.startsWith(dir)) await rm(dataDir, { recursive: true, force: true });
  }
});

const port = Number(process.env.TEST_PG_PORT ?? 54410) + 40;

describe("embedded Postgres", () => {
  it("a busy port is a clear error at once", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const started = Date.now();
      const err = await startEmbeddedPostgres({ dataDir: path.join(await scratch(), "pg"), port }).catch((e) => e);
      expect(err).toBeInstanceOf(EmbeddedPostgresError);
      expect(err.message).toMatch(new RegExp(`Port ${port} .* is in use`));
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      blocker.close();
    }
  });

  it("a server that does not become ready in time is a clear error, and nothing is left running", async () => {
    const dataDir = path.join(await scratch(), "pg");
    await (await startEmbeddedPostgres({ dataDir, port: port + 1, ephemeral: true })).stop(); // initdb once
    const err = await startEmbeddedPostgres({ dataDir, port: port + 1, startTimeoutMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    expect(err.message).toMatch(/did not become ready within/);
    // The half-started server was stopped: the port is free again and a normal start works.
    const db = await startEmbeddedPostgres({ dataDir, port: port + 1, ephemeral: true });
    await db.stop();
  }, 60_000);

  // Only as root does the server run as another OS user (`postgres`) that may be locked out.
  it.runIf(process.getuid?.() === 0)("as root, runs from a directory the postgres user cannot enter: the data moves under /var/tmp and stays there", async () => {
    const locked = await scratch(0o700);
    const requested = path.join(locked, "deeper", "pg");
    const first = await startEmbeddedPostgres({ dataDir: requested, port: port + 4, ephemeral: true });
    try {
      expect(first.dataDir).not.toBe(requested);
      expect(first.dataDir.startsWith("/var/tmp/verbatim-embedded-postgres/data/")).toBe(true);
      const db = connect(first.url, 1);
      await db`create table if not exists kept (v text)`;
      await db`insert into kept values ('here')`;
      await db.end();
    } finally {
      await first.stop();
    }
    // The same requested directory finds the same data.
    const again = await startEmbeddedPostgres({ dataDir: requested, port: port + 4, ephemeral: true });
    try {
      expect(again.dataDir).toBe(first.dataDir);
      const db = connect(again.url, 1);
      expect((await db`select v from kept`).map((r) => r.v)).toContain("here");
      await db.end();
    } finally {
      await again.stop();
      await rm(path.dirname(again.dataDir), { recursive: true, force: true });
    }
  }, 120_000);

  it("keeps its data across a stop and a start, and refuses a second server on the same directory", async () => {
    const dataDir = path.join(await scratch(), "pg");
    const first = await startEmbeddedPostgres({ dataDir, port: port + 2 });
    const a = connect(first.url, 1);
    await a`create table kept (v text)`;
    await a`insert into kept values ('still here')`;
    await a.end();
    const second = await startEmbeddedPostgres({ dataDir, port: port + 3 }).catch((e) => e);
    expect(second).toBeInstanceOf(EmbeddedPostgresError);
    expect(second.message).toMatch(/already running/);
    await first.stop();

    const again = await startEmbeddedPostgres({ dataDir, port: port + 2 });
    const b = connect(again.url, 1);
    expect(await b`select v from kept`).toEqual([{ v: "still here" }]);
    await b.end();
    await again.stop();
  }, 60_000);
});
