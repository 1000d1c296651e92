import "server-only";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { link, mkdir, readFile, rename, rm, writeFile, chmod } from "node:fs/promises";
import path from "node:path";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";

/**
 * Evidence signing keys (Ed25519, used through `jose` as JWS `alg: "EdDSA"`).
 *
 * Production: the wiring step reads three environment variables and passes them to
 * `keyringFromEnvironment`:
 *   EVIDENCE_SIGNING_KEY     the current private key, a PKCS#8 PEM or a private JWK (JSON)
 *   EVIDENCE_SIGNING_KEY_ID  its kid (optional: defaults to the key's RFC 7638 thumbprint)
 *   EVIDENCE_RETIRED_KEYS    a JWKS (JSON) of retired public keys, each with its kid
 * The embedded default keeps its keys in a directory (`.data/evidence-keys`), created on
 * first use with mode 0700 and files with mode 0600: `signing-key.jwk.json` (the current
 * private JWK) and `retired-keys.jwks.json` (the public keys it replaced).
 *
 * Retiring a key keeps only its public half: it verifies what it signed and signs nothing more.
 */

export const EVIDENCE_ALG = "EdDSA";

/** An Ed25519 public key as served in the JWKS. */
export interface EvidencePublicJwk extends JWK {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: typeof EVIDENCE_ALG;
  use: "sig";
}

export interface EvidenceSigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: EvidencePublicJwk;
}

export interface EvidenceKeyring {
  signing: EvidenceSigningKey;
  retired: EvidencePublicJwk[];
}

export class EvidenceKeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EvidenceKeyError";
  }
}

/** The public keys a verifier needs: the current one first, then every retired one, by kid. */
export function jwks(keyring: EvidenceKeyring): { keys: EvidencePublicJwk[] } {
  const keys = [keyring.signing.publicJwk];
  for (const key of keyring.retired) if (!keys.some((k) => k.kid === key.kid)) keys.push(key);
  return { keys };
}

/** The keyring from the production environment's values (see the module comment for names). */
export async function keyringFromEnvironment(env: { signingKey: string; signingKeyId?: string; retiredKeys?: string }): Promise<EvidenceKeyring> {
  const signing = await signingKeyFrom(parsePrivateKey(env.signingKey, "EVIDENCE_SIGNING_KEY"), env.signingKeyId);
  const retired = env.retiredKeys?.trim() ? parseRetiredKeys(env.retiredKeys, "EVIDENCE_RETIRED_KEYS") : [];
  return { signing, retired: checkedRetired(signing, retired) };
}

/** The embedded default's keyring, creating the directory and a first key if there is none. */
export async function loadOrCreateLocalKeyring(dir: string): Promise<EvidenceKeyring> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const signingFile = path.join(dir, SIGNING_FILE);
  let text = await readIfExists(signingFile);
  if (text === undefined) {
    // Write the whole key to a private temporary file, then link it into place: link never
    // replaces an existing file, so two processes starting together agree on one key.
    const fresh = JSON.stringify(await newPrivateJwk(), null, 2);
    const tmp = `${signingFile}.${randomUUID()}.tmp`;
    await writeFile(tmp, fresh, { mode: 0o600, flag: "wx" });
    try {
      await link(tmp, signingFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await rm(tmp, { force: true });
    }
    text = await readFile(signingFile, "utf8");
  }
  const signing = await signingKeyFrom(parsePrivateKey(text, signingFile), undefined);
  const retiredText = await readIfExists(path.join(dir, RETIRED_FILE));
  const retired = retiredText === undefined ? [] : parseRetiredKeys(retiredText, path.join(dir, RETIRED_FILE));
  return { signing, retired: checkedRetired(signing, retired) };
}

/**
 * Retires the directory's current key (its public half joins the retired set) and makes a new
 * one. Each file is replaced atomically; if the process dies between the two writes, the old
 * key is both current and retired, which is harmless.
 */
export async function rotateKey(dir: string): Promise<{ retiredKid: string; currentKid: string }> {
  const before = await loadOrCreateLocalKeyring(dir);
  const lock = path.join(dir, ".rotate.lock");
  try {
    await writeFile(lock, String(process.pid), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new EvidenceKeyError(`Another rotation holds ${lock}; remove it if no rotation is running.`);
    throw error;
  }
  try {
    const retired = [before.signing.publicJwk, ...before.retired.filter((k) => k.kid !== before.signing.kid)];
    await replaceFile(path.join(dir, RETIRED_FILE), JSON.stringify({ keys: retired }, null, 2));
    const next = await newPrivateJwk();
    await replaceFile(path.join(dir, SIGNING_FILE), JSON.stringify(next, null, 2));
    return { retiredKid: before.signing.kid, currentKid: next.kid as string };
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Rotation for the environment-configured keys: given the current values, the values to set
 * next — a new private JWK (one line, so it fits an environment variable) with its kid, and
 * the retired JWKS with the old public key added.
 */
export async function rotateEnvironmentKeys(env: { signingKey: string; signingKeyId?: string; retiredKeys?: string }): Promise<{ signingKey: string; signingKeyId: string; retiredKeys: string }> {
  const before = await keyringFromEnvironment(env);
  const next = await newPrivateJwk();
  const retired = [before.signing.publicJwk, ...before.retired.filter((k) => k.kid !== before.signing.kid)];
  return { signingKey: JSON.stringify(next), signingKeyId: next.kid as string, retiredKeys: JSON.stringify({ keys: retired }) };
}

const SIGNING_FILE = "signing-key.jwk.json";
const RETIRED_FILE = "retired-keys.jwks.json";

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as JWK;
  return { ...jwk, kid: await thumbprint(privateKey), alg: EVIDENCE_ALG, use: "sig" };
}

function parsePrivateKey(text: string, source: string): { key: KeyObject; kid?: string } {
  const trimmed = text.trim();
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (trimmed.startsWith("{")) {
      const jwk = JSON.parse(trimmed) as JWK;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string") throw new Error("not a private Ed25519 JWK (kty OKP, crv Ed25519, with d)");
      key = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: jwk.x ?? "" }, format: "jwk" });
      const derived = createPublicKey(key).export({ format: "jwk" }) as JWK;
      if (jwk.x !== undefined && jwk.x !== derived.x) throw new Error("its x does not belong to its d");
      kid = typeof jwk.kid === "string" && jwk.kid ? jwk.kid : undefined;
    } else {
      key = createPrivateKey({ key: trimmed, format: "pem" });
    }
  } catch (error) {
    throw new EvidenceKeyError(`${source} is not a usable Ed25519 private key (PKCS#8 PEM or private JWK): ${(error as Error).message}`, { cause: error });
  }
  if (key.asymmetricKeyType !== "ed25519") throw new EvidenceKeyError(`${source} is a ${key.asymmetricKeyType} key; evidence is signed with Ed25519.`);
  return { key, kid };
}

async function signingKeyFrom(parsed: { key: KeyObject; kid?: string }, kidOverride: string | undefined): Promise<EvidenceSigningKey> {
  const kid = kidOverride?.trim() || parsed.kid || (await thumbprint(parsed.key));
  const privateJwk = parsed.key.export({ format: "jwk" }) as JWK;
  const privateKey = (await importJWK({ ...privateJwk, kid }, EVIDENCE_ALG)) as CryptoKey;
  const publicJwk = publicJwkOf(privateJwk.x as string, kid);
  return { kid, privateKey, publicJwk };
}

function publicJwkOf(x: string, kid: string): EvidencePublicJwk {
  return { kty: "OKP", crv: "Ed25519", x, kid, alg: EVIDENCE_ALG, use: "sig" };
}

function parseRetiredKeys(text: string, source: string): EvidencePublicJwk[] {
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch (error) {
    throw new EvidenceKeyError(`${source} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const keys = (set as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new EvidenceKeyError(`${source} must be a JWKS: {"keys": [...]}.`);
  return keys.map((raw, i) => {
    const jwk = raw as JWK;
    if (jwk === null || typeof jwk !== "object") throw new EvidenceKeyError(`${source} key ${i} is not a JWK.`);
    if ("d" in jwk) throw new EvidenceKeyError(`${source} key ${i} holds private key material; list only public keys.`);
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || Buffer.from(jwk.x, "base64url").length !== 32) {
      throw new EvidenceKeyError(`${source} key ${i} is not an Ed25519 public JWK (kty OKP, crv Ed25519, x).`);
    }
    if (typeof jwk.kid !== "string" || !jwk.kid) throw new EvidenceKeyError(`${source} key ${i} has no kid.`);
    return publicJwkOf(jwk.x, jwk.kid);
  });
}

function checkedRetired(signing: EvidenceSigningKey, retired: EvidencePublicJwk[]): EvidencePublicJwk[] {
  const byKid = new Map<string, EvidencePublicJwk>([[signing.kid, signing.publicJwk]]);
  const kept: EvidencePublicJwk[] = [];
  for (const key of retired) {
    const seen = byKid.get(key.kid);
    if (seen && seen.x !== key.x) throw new EvidenceKeyError(`Two different keys share the kid "${key.kid}".`);
    if (!seen) {
      byKid.set(key.kid, key);
      kept.push(key);
    }
  }
  return kept;
}

async function thumbprint(key: KeyObject): Promise<string> {
  const { kty, crv, x } = createPublicKey(key).export({ format: "jwk" }) as JWK;
  return calculateJwkThumbprint({ kty, crv, x }, "sha256");
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: "wx" });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
