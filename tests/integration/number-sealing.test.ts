import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { asService, withUser } from "@/lib/db";
import { addLocalKek, keyRing, resetKeyRing } from "@/lib/pii/keys";
import { dataKeyIdOf, numberHash, openNumber, sealNumber, unwrapDataKey } from "@/lib/pii/numbers";
import { rotateNumberKeys } from "@/lib/pii/rotation";
import { createOrg, member } from "@/tests/support/fixtures";
import { withNumberKeysDir } from "@/tests/support/number-keys";

/**
 * Phone numbers sealed at rest (docs/adr/0044): what lib/pii promises before any column uses it.
 * A sealed value opens to its number only in its organization and field; the keyed hash matches
 * within an organization and never across two; data keys are stored only wrapped, readable by
 * the organization's members and the service path; and a rotation keeps every value readable.
 */
const keysDir = withNumberKeysDir();
const NUMBER = "+14155550142";
let acme: string;
let borealis: string;

beforeAll(async () => {
  [acme, borealis] = await Promise.all([createOrg("global"), createOrg("base")]);
});

describe("sealing a number", () => {
  it("makes the embedded default's keys once, readable only by their owner", async () => {
    await keyRing();
    for (const file of ["key-encryption-keys", "index-key"]) {
      expect((await stat(path.join(keysDir(), file))).mode & 0o777).toBe(0o600);
    }
    const before = await readFile(path.join(keysDir(), "key-encryption-keys"), "utf8");
    resetKeyRing();
    await keyRing();
    expect(await readFile(path.join(keysDir(), "key-encryption-keys"), "utf8")).toBe(before);
  });

  it("stores neither the number nor its digits, names its data key and opens to the number", async () => {
    const sealed = await asService((tx) => sealNumber(tx, acme, "calls.to_number", NUMBER));
    expect(sealed).toMatch(/^pn1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("4155550142");
    expect(dataKeyIdOf(sealed)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await asService((tx) => openNumber(tx, acme, "calls.to_number", sealed))).toBe(NUMBER);
    // Random IVs: the same number twice is two different values (equality is the hash's job).
    expect(await asService((tx) => sealNumber(tx, acme, "calls.to_number", NUMBER))).not.toBe(sealed);
  });

  it("does not open in another field or another organization", async () => {
    const sealed = await asService((tx) => sealNumber(tx, acme, "calls.to_number", NUMBER));
    await expect(asService((tx) => openNumber(tx, acme, "calls.from_number", sealed))).rejects.toThrow();
    await expect(asService((tx) => openNumber(tx, borealis, "calls.to_number", sealed))).rejects.toThrow(/does not have/);
  });

  it("opens a value still in E.164 as itself (rows written before the sealing task ran)", async () => {
    expect(await asService((tx) => openNumber(tx, acme, "calls.to_number", NUMBER))).toBe(NUMBER);
  });

  it("hashes equal numbers equally within an organization and differently across two", async () => {
    expect(await numberHash(acme, NUMBER)).toBe(await numberHash(acme, NUMBER));
    expect(await numberHash(acme, NUMBER)).not.toBe(await numberHash(acme, "+14155550143"));
    expect(await numberHash(acme, NUMBER)).not.toBe(await numberHash(borealis, NUMBER));
    expect(await numberHash(acme, NUMBER)).toHaveLength(43);
  });

  it("keeps data keys wrapped, and gives them to the organization's members only", async () => {
    const stored = await asService((tx) => tx<{ wrapped: string }[]>`select wrapped from private.number_data_keys where organization_id = ${acme}`);
    expect(stored.length).toBeGreaterThan(0);
    const keyOf = (org: string) => (claims: Parameters<typeof withUser>[0]) =>
      withUser(claims, (tx) => tx`select id from private.number_data_keys_of(${org}, '{}'::uuid[])`);
    const viewer = await member(acme, "viewer");
    expect(await keyOf(acme)(viewer.claims)).toHaveLength(1);
    const outsider = await member(borealis, "owner");
    expect(await keyOf(acme)(outsider.claims)).toHaveLength(0);
    await expect(withUser(outsider.claims, (tx) => tx`select * from private.number_data_keys`)).rejects.toThrow(/permission denied/);
    await expect(withUser(viewer.claims, (tx) => tx`select * from private.add_number_data_key(${acme}, gen_random_uuid(), 'k', 'x', true)`)).rejects.toThrow(/not allowed/);
  });
});

describe("rotating the keys", () => {
  it("re-wraps every data key under a new KEK, gives each organization a new data key, and every value sealed before still opens", async () => {
    const before = await asService((tx) => sealNumber(tx, acme, "voice_targets.number", NUMBER));
    const kek = await addLocalKek();
    const { rewrapped, minted } = await rotateNumberKeys({ newDataKeys: true, orgIds: [acme, borealis] });
    expect(rewrapped).toBeGreaterThanOrEqual(1);
    expect(minted).toBeGreaterThanOrEqual(1);
    // The old KEK is gone from the ring: every data key, old and new, unwraps under the new one.
    const file = path.join(keysDir(), "key-encryption-keys");
    await writeFile(file, (await readFile(file, "utf8")).split("\n")[0]!);
    resetKeyRing();
    const rows = await asService((tx) => tx<{ id: string; orgId: string; kekId: string; wrapped: string }[]>`
      select id, organization_id as "orgId", kek_id as "kekId", wrapped from private.number_data_keys where organization_id in ${tx([acme, borealis])}`);
    expect(new Set(rows.map((r) => r.kekId))).toEqual(new Set([kek]));
    for (const row of rows) expect(await unwrapDataKey(row)).toHaveLength(32);
    const after = await asService((tx) => sealNumber(tx, acme, "voice_targets.number", NUMBER));
    expect(dataKeyIdOf(after)).not.toBe(dataKeyIdOf(before));
    expect(await asService((tx) => openNumber(tx, acme, "voice_targets.number", before))).toBe(NUMBER);
    expect(await asService((tx) => openNumber(tx, acme, "voice_targets.number", after))).toBe(NUMBER);
  });

  it("says which key is missing when a data key's KEK is no longer configured", async () => {
    await expect(unwrapDataKey({ id: crypto.randomUUID(), orgId: acme, kekId: "retired", wrapped: "AAAAAAAAAAAAAAAAAAAAAA.AAAA" })).rejects.toThrow(/"retired", which NUMBER_KEYS no longer holds/);
  });
});
