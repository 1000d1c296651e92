import "server-only";
import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { config, parseNumberKeys } from "@/lib/config";
import { secretFileOnce } from "@/lib/secret-file";

/**
 * The keys that live outside the database (docs/adr/0044): the key-encryption keys (KEKs),
 * which wrap each organization's data keys, and the index key, from which each organization's
 * key for the numbers' keyed hashes is derived. From NUMBER_KEYS and NUMBER_INDEX_KEY, or in
 * the embedded default two files made once in NUMBER_KEYS_DIR (mode 0600; a second process
 * that races to make them reads the first one's), exactly as the webhook secrets key is kept.
 * A database dump alone therefore opens no number.
 */

export interface Kek {
  id: string;
  key: Buffer;
}

export interface KeyRing {
  /** Wraps every new data key; the first of NUMBER_KEYS. */
  primary: Kek;
  /** Every KEK that may still unwrap a stored data key, by id. */
  byId: Map<string, Kek>;
  index: Buffer;
}

export class NumberKeyError extends Error {
  override name = "NumberKeyError";
}

const KEK_FILE = "key-encryption-keys";
const INDEX_FILE = "index-key";
let cached: Promise<KeyRing> | undefined;

const newEntry = () => `k${Date.now().toString(36)}:${randomBytes(32).toString("base64")}`;

function ringOf(entries: { id: string; key: string }[] | null, indexKey: string, source: string): KeyRing {
  if (!entries) throw new NumberKeyError(`${source} does not hold id:key entries of 32-byte keys`);
  const keks = entries.map(({ id, key }) => ({ id, key: Buffer.from(key, "base64") }));
  const index = Buffer.from(indexKey, "base64");
  if (index.length !== 32) throw new NumberKeyError(`${source}: the index key is not 32 bytes`);
  return { primary: keks[0]!, byId: new Map(keks.map((k) => [k.id, k])), index };
}

async function localRing(dir: string): Promise<KeyRing> {
  const keks = await secretFileOnce(dir, KEK_FILE, newEntry);
  const index = await secretFileOnce(dir, INDEX_FILE, () => randomBytes(32).toString("base64"));
  return ringOf(parseNumberKeys(keks), index, dir);
}

/** The key ring, read once per process (resetKeyRing after a rotation or a configuration change). */
export function keyRing(): Promise<KeyRing> {
  cached ??= (async () => {
    const source = config().numberKeys;
    return source.kind === "environment" ? ringOf(source.keys, source.indexKey, "NUMBER_KEYS") : localRing(source.dir);
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

export function resetKeyRing(): void {
  cached = undefined;
}

/**
 * The embedded default's KEK rotation: a new KEK becomes primary, the older ones stay (their
 * wrapped data keys are re-wrapped by rewrapDataKeys, after which they may be removed). With
 * NUMBER_KEYS the operator edits the variable instead: this refuses, naming it.
 */
export async function addLocalKek(): Promise<string> {
  const source = config().numberKeys;
  if (source.kind !== "local") throw new NumberKeyError("NUMBER_KEYS is set: put the new key first in NUMBER_KEYS, restart, then run the rotation");
  await keyRing();
  const file = path.join(source.dir, KEK_FILE);
  const entry = newEntry();
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${entry}\n${await readFile(file, "utf8")}`, { mode: 0o600 });
  await rename(temporary, file);
  resetKeyRing();
  return entry.slice(0, entry.indexOf(":"));
}
