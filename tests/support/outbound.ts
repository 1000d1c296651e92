import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config";
import { resetSecretsKey } from "@/lib/outbound/secrets";

/** Outbound webhook tests seal secrets under a key file of their own, in a temporary directory removed afterwards. */
export function withWebhookKeysDir(): void {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "verbatim-webhook-keys-"));
    process.env.WEBHOOK_KEYS_DIR = dir;
    resetConfig();
    resetSecretsKey();
  });
  afterAll(async () => {
    delete process.env.WEBHOOK_KEYS_DIR;
    resetConfig();
    resetSecretsKey();
    await rm(dir, { recursive: true, force: true });
  });
}
