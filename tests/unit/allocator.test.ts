import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * bin/allocator.ts, as the server runs it: a process that imports it runs on with glibc's
 * mmap threshold fixed (docs/adr/0032), the same process (execve keeps the pid), and an
 * operator's own setting wins.
 */
let dir: string;
let script: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "verbatim-allocator-"));
  script = path.join(dir, "probe.mjs");
  const allocator = pathToFileURL(path.resolve("bin/allocator.ts")).href;
  await writeFile(script, `await import(${JSON.stringify(allocator)});\nconsole.log(JSON.stringify({ pid: process.pid, tunables: process.env.GLIBC_TUNABLES ?? null, args: process.argv.slice(2) }));\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(env: NodeJS.ProcessEnv): Promise<{ childPid: number; pid: number; tunables: string | null; args: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, "--port", "1"], { env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve({ childPid: child.pid!, ...JSON.parse(out) }) : reject(new Error(`exited ${code}: ${out}`))));
  });
}

const withoutTunables = () => {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  return env;
};

describe.runIf(process.platform === "linux")("the allocator setting", () => {
  it("replaces a process started without it by the same process, same arguments, with the mmap threshold fixed", async () => {
    const seen = await run(withoutTunables());
    expect(seen.tunables).toBe("glibc.malloc.mmap_threshold=65536");
    expect(seen.pid).toBe(seen.childPid);
    expect(seen.args).toEqual(["--port", "1"]);
  });

  it("adds to the operator's other tunables and keeps the operator's own threshold", async () => {
    expect((await run({ ...withoutTunables(), GLIBC_TUNABLES: "glibc.malloc.arena_max=2" })).tunables).toBe("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536");
    expect((await run({ ...withoutTunables(), GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=131072" })).tunables).toBe("glibc.malloc.mmap_threshold=131072");
  });
});
