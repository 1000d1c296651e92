import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config";
import { resetKeyRing } from "@/lib/pii/keys";
import { forgetCurrentDataKeys } from "@/lib/pii/numbers";

/** Tests that seal numbers keep their key files in a temporary directory of their own, removed afterwards. Returns it. */
export function withNumberKeysDir(): () => string {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "verbatim-number-keys-"));
    process.env.NUMBER_KEYS_DIR = dir;
    resetConfig();
    resetKeyRing();
    forgetCurrentDataKeys();
  });
  afterAll(async () => {
    delete process.env.NUMBER_KEYS_DIR;
    resetConfig();
    resetKeyRing();
    forgetCurrentDataKeys();
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
