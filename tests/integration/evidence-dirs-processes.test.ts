import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { calculateJwkThumbprint, type JWK } from "jose";

/**
 * Several app and worker processes sharing one data directory start together: the first seal in
 * each creates the local evidence key and the local TSA if they are not there yet. They must end
 * up with one key and one authority, whoever wins, not one each (lib/evidence-sealing/keys.ts and
 * local-tsa.ts publish with link(2), which never replaces a file). Separate processes, not
 * promises in one: each has its own event loop, and their file operations truly interleave.
 */
const run = promisify(execFile);
let dir: string;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the local evidence key and TSA, created by processes starting together", () => {
  it("are created once: every process signs with the same key and timestamps with the same authority", { timeout: 120_000 }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), "verbatim-evidence-race-"));
    const keys = path.join(dir, "evidence-keys");
    const tsa = path.join(dir, "evidence-tsa");
    // Far enough ahead that every process has loaded its modules and waits for the same instant.
    const startAt = Date.now() + 8_000;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, ["--conditions=react-server", "--import", "tsx", "tests/support/evidence-dirs-child.ts", keys, tsa, String(startAt)], { encoding: "utf8" }),
      ),
    );
    const seen = outputs.map(({ stdout }) => JSON.parse(stdout.trim().split("\n").pop()!) as { kid: string; ca: string; tsa: string });
    expect(new Set(seen.map((s) => s.kid)).size).toBe(1);
    expect(new Set(seen.map((s) => s.ca)).size).toBe(1);
    expect(new Set(seen.map((s) => s.tsa)).size).toBe(1);
    // And it is what the directories hold.
    const jwk = JSON.parse(await readFile(path.join(keys, "signing-key.jwk.json"), "utf8")) as JWK;
    expect(seen[0]!.kid).toBe(await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }));
    expect(seen[0]!.ca).toBe(createHash("sha256").update(await readFile(path.join(tsa, "ca.pem"), "utf8")).digest("hex"));
  });
});
