import "server-only";
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from "node:crypto";
import type { Db } from "@/lib/db";
import { keyRing, NumberKeyError, type Kek } from "@/lib/pii/keys";

/**
 * Phone numbers sealed at rest (docs/adr/0044): envelope encryption with node:crypto's
 * AES-256-GCM. Each organization has random data keys, stored only wrapped under a KEK
 * (private.number_data_keys); each number is sealed under its organization's current data key
 * with additional data naming the organization and the field, so a value copied to another
 * field or organization does not open. The sealed form names its data key:
 * `pn1.<data key id>.<iv>.<ciphertext and tag>` (base64url). Beside it, where numbers are
 * searched or joined, a keyed hash (HMAC-SHA256 under a per-organization key derived from the
 * index key), so equal numbers match within an organization and never link across two.
 *
 * A value still in E.164 (written before the migration to sealed numbers, until the sealing
 * task has run) opens as itself: rows stay readable throughout.
 */

/** Every field that holds a sealed number: the additional data binds a value to one of them. */
export type NumberField =
  | "calls.to_number"
  | "calls.from_number"
  | "calls.modulations"
  | "campaigns.modulations"
  | "voice_targets.number"
  | "campaign_targets.number"
  | "erasure_requests.phone_number"
  | "voice_configs.caller_id"
  | "voice_configs.operator_phone"
  | "evidence_manifests.numbers";

const VERSION = "pn1";
/** How long a process seals under the data key it last read as current before asking again (a rotation elsewhere is seen within this). */
export const CURRENT_KEY_TTL_MS = 30_000;

interface DataKey {
  id: string;
  orgId: string;
  key: Buffer;
}

const dataKeys = new Map<string, DataKey>();
const currentKeys = new Map<string, { id: string; at: number }>();

/** Forget which data key is current (after a rotation in this process; tests). Opened keys stay: their material never changes. */
export function forgetCurrentDataKeys(orgId?: string): void {
  if (orgId) currentKeys.delete(orgId);
  else currentKeys.clear();
}

const uuidToken = (id: string) => Buffer.from(id.replaceAll("-", ""), "hex").toString("base64url");
function uuidOf(token: string): string {
  const hex = Buffer.from(token, "base64url").toString("hex");
  if (hex.length !== 32) throw new NumberKeyError("A sealed number names no data key this version can read.");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString("base64url")}.${body.toString("base64url")}`;
}

function open(key: Buffer, sealed: string, aad: string): Buffer {
  const [iv, body] = sealed.split(".");
  const bytes = Buffer.from(body ?? "", "base64url");
  if (!iv || bytes.length < 17) throw new NumberKeyError("A sealed value is not in a form this version can open.");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
}

/** A data key wrapped under a KEK, bound to its organization and id. */
export const wrapDataKey = (kek: Kek, orgId: string, id: string, key: Buffer) => seal(kek.key, key, `dk1|${orgId}|${id}`);

export async function unwrapDataKey(row: { id: string; orgId: string; kekId: string; wrapped: string }): Promise<Buffer> {
  const kek = (await keyRing()).byId.get(row.kekId);
  if (!kek) throw new NumberKeyError(`A data key is wrapped under key-encryption key "${row.kekId}", which NUMBER_KEYS no longer holds; add it back after the primary and run npm run keys:rotate-numbers.`);
  return open(kek.key, row.wrapped, `dk1|${row.orgId}|${row.id}`);
}

interface DataKeyRow {
  id: string;
  orgId: string;
  kekId: string;
  wrapped: string;
  current: boolean;
}

/** One statement: the organization's current data key and the ones named, wrapped (private.number_data_keys_of). */
async function readDataKeys(db: Db, orgId: string, ids: string[]): Promise<DataKeyRow[]> {
  return db<DataKeyRow[]>`
    select id, organization_id as "orgId", kek_id as "kekId", wrapped, current
    from private.number_data_keys_of(${orgId}, ${ids}::uuid[])`;
}

async function remember(rows: DataKeyRow[]): Promise<void> {
  for (const row of rows) {
    if (!dataKeys.has(row.id)) dataKeys.set(row.id, { id: row.id, orgId: row.orgId, key: await unwrapDataKey(row) });
    if (row.current) currentKeys.set(row.orgId, { id: row.id, at: Date.now() });
  }
}

/** The organization's current data key: from memory when read less than CURRENT_KEY_TTL_MS ago, else read (and made, the first time). */
async function currentDataKey(db: Db, orgId: string): Promise<DataKey> {
  const known = currentKeys.get(orgId);
  if (known && Date.now() - known.at < CURRENT_KEY_TTL_MS && dataKeys.has(known.id)) return dataKeys.get(known.id)!;
  await remember(await readDataKeys(db, orgId, []));
  if (!currentKeys.has(orgId) || Date.now() - currentKeys.get(orgId)!.at >= CURRENT_KEY_TTL_MS) await remember(await mintDataKey(db, orgId));
  return dataKeys.get(currentKeys.get(orgId)!.id)!;
}

/**
 * Makes a new random data key for the organization, wrapped under the primary KEK, and makes
 * it current (private.add_number_data_key: with `replace`, the one before stops being current
 * but stays, so every value sealed under it still opens until the sealing task has re-sealed
 * it). Without `replace`, a key another process made first wins. Returns the current key's row.
 */
export async function mintDataKey(db: Db, orgId: string, { replace = false } = {}): Promise<DataKeyRow[]> {
  const { primary } = await keyRing();
  const id = randomUUID();
  const key = randomBytes(32);
  const rows = await db<DataKeyRow[]>`
    select id, organization_id as "orgId", kek_id as "kekId", wrapped, current
    from private.add_number_data_key(${orgId}, ${id}, ${primary.id}, ${wrapDataKey(primary, orgId, id, key)}, ${replace})`;
  if (rows[0]?.id === id) dataKeys.set(id, { id, orgId, key });
  forgetCurrentDataKeys(orgId);
  await remember(rows);
  return rows;
}

/** The data key a sealed value names, or null for a value still in E.164. */
export function dataKeyIdOf(stored: string): string | null {
  if (!stored.startsWith(`${VERSION}.`)) return null;
  return uuidOf(stored.split(".")[1] ?? "");
}

const aadOf = (orgId: string, field: NumberField, keyId: string) => `${VERSION}|${orgId}|${field}|${keyId}`;

/** Seals an E.164 number for one field of one organization. */
export async function sealNumber(db: Db, orgId: string, field: NumberField, e164: string): Promise<string> {
  const key = await currentDataKey(db, orgId);
  return `${VERSION}.${uuidToken(key.id)}.${seal(key.key, Buffer.from(e164, "utf8"), aadOf(orgId, field, key.id))}`;
}

export interface StoredNumber {
  orgId: string;
  field: NumberField;
  value: string;
}

/**
 * Opens stored numbers (sealed, or E.164 not yet sealed), in order. Data keys not yet in
 * memory are read in one statement per organization; a warm process reads none.
 */
export async function openNumbers(db: Db, stored: StoredNumber[]): Promise<string[]> {
  const missing = new Map<string, Set<string>>();
  for (const s of stored) {
    const id = dataKeyIdOf(s.value);
    if (id && !dataKeys.has(id)) missing.set(s.orgId, (missing.get(s.orgId) ?? new Set()).add(id));
  }
  for (const [orgId, ids] of missing) await remember(await readDataKeys(db, orgId, [...ids]));
  return stored.map(({ orgId, field, value }) => {
    const id = dataKeyIdOf(value);
    if (!id) return value;
    const key = dataKeys.get(id);
    if (!key || key.orgId !== orgId) throw new NumberKeyError(`A sealed number names data key ${id}, which its organization does not have.`);
    const [, , iv, body] = value.split(".");
    return open(key.key, `${iv}.${body}`, aadOf(orgId, field, id)).toString("utf8");
  });
}

export async function openNumber(db: Db, orgId: string, field: NumberField, value: string): Promise<string> {
  return (await openNumbers(db, [{ orgId, field, value }]))[0]!;
}

/**
 * The keyed hash of an E.164 number in one organization (base64url HMAC-SHA256): what search,
 * joins and look-ups by number compare. The organization's hash key is derived from the index
 * key, so the same number hashes differently in two organizations.
 */
export async function numberHash(orgId: string, e164: string): Promise<string> {
  const orgKey = createHmac("sha256", (await keyRing()).index).update(`verbatim number index v1|${orgId}`).digest();
  return createHmac("sha256", orgKey).update(e164, "utf8").digest("base64url");
}

/**
 * What a member without `numbers.view` sees of a number, and all the database keeps in the
 * clear: `+15551230123` → `+1•••••••23`, the country code and the last two digits.
 */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/^\+/, "");
  const country = digits.length > 10 ? digits.slice(0, digits.length - 10) : digits.slice(0, 1);
  return `+${country}${"•".repeat(Math.max(digits.length - country.length - 2, 0))}${digits.slice(-2)}`;
}
