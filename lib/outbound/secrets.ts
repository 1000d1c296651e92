import "server-only";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { secretFileOnce } from "@/lib/secret-file";
import path from "node:path";
import { config } from "@/lib/config";

/**
 * Endpoint signing secrets (docs/adr/0039). A secret is `whsec_` + 32 random bytes in base64,
 * as Standard Webhooks has it; it is shown to the member once, when made, and stored only
 * sealed with AES-256-GCM under a key that lives outside the database: WEBHOOK_SECRETS_KEY,
 * or in the embedded default a key file made once in WEBHOOK_KEYS_DIR (mode 0600; a second
 * process that races to make it reads the first one's). A database dump alone reveals no secret.
 * Sealed form: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url), the key id being the first 8
 * bytes of the key's SHA-256, so a secret sealed under another key says so instead of failing
 * as noise. Secrets are never logged: nothing here logs, and callers log ids only.
 */

const KEY_FILE = "secrets-key";
let cachedKey: Promise<Buffer> | undefined;

export class SecretsKeyError extends Error {
  override name = "SecretsKeyError";
}

async function localKey(dir: string): Promise<Buffer> {
  const key = Buffer.from(await secretFileOnce(dir, KEY_FILE, () => randomBytes(32).toString("base64")), "base64");
  if (key.length !== 32) throw new SecretsKeyError(`${path.join(dir, KEY_FILE)} does not hold a 32-byte key`);
  return key;
}

function secretsKey(): Promise<Buffer> {
  cachedKey ??= (async () => {
    const source = config().outbound.secretsKey;
    return source.kind === "environment" ? Buffer.from(source.key, "base64") : localKey(source.dir);
  })();
  cachedKey.catch(() => {
    cachedKey = undefined;
  });
  return cachedKey;
}

/** Tests that change the configuration. */
export function resetSecretsKey(): void {
  cachedKey = undefined;
}

const keyId = (key: Buffer) => createHash("sha256").update(key).digest().subarray(0, 8).toString("base64url");

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export async function sealSecret(secret: string): Promise<string> {
  const key = await secretsKey();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", keyId(key), iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

export async function openSecret(sealed: string): Promise<string> {
  const key = await secretsKey();
  const [version, kid, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) throw new SecretsKeyError("A webhook secret is not in a form this version can open.");
  if (kid !== keyId(key)) throw new SecretsKeyError("A webhook secret was sealed under another WEBHOOK_SECRETS_KEY; rotate the endpoint's secret.");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
