import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { callNumberColumns, openCallNumbers, openSnapshotNumbers, sealSnapshotNumbers } from "@/lib/calls/numbers";
import { asService } from "@/lib/db";
import { addLocalKek, resetKeyRing } from "@/lib/pii/keys";
import { dataKeyIdOf, forgetCurrentDataKeys, numberHash } from "@/lib/pii/numbers";
import { resealNumbers } from "@/lib/pii/reseal";
import { rotateNumberKeys } from "@/lib/pii/rotation";
import { createOrg, member } from "@/tests/support/fixtures";
import { withNumberKeysDir } from "@/tests/support/number-keys";

/**
 * A key rotation without downtime (docs/adr/0044): a new key-encryption key and new data keys,
 * then the re-sealing pass, while a writer keeps placing calls. Afterwards no row is lost, every
 * number opens to what was written, every value is under the organization's current data key,
 * the hashes are unchanged, and the old KEK can be dropped.
 */
const keysDir = withNumberKeysDir();

type Written = Map<string, { to: string; from: string }>;

const numberFor = (i: number) => `+1415${String(2_000_000 + i).padStart(7, "0")}`;

async function insertCall(orgId: string, userId: string, i: number, { sealed }: { sealed: boolean }): Promise<[string, { to: string; from: string }]> {
  const numbers = { to: numberFor(i), from: "+16505550100" };
  const snapshot = { flow: "direct", ...numbers, operatorPhone: null, record: false, transcribe: false, translate: null, redact: false, disclosure: null, survey: null, shopperScript: null, configVersion: 1 };
  const [row] = await asService(async (tx) => tx<{ id: string }[]>`
    insert into public.calls ${tx({
      organization_id: orgId, created_by: userId, flow: "direct", idempotency_key: randomUUID(), plan_tier: "global",
      // Unsealed: a row written before the migration (or by a seed), which the pass must seal.
      ...(sealed ? await callNumberColumns(tx, orgId, numbers) : { to_number: numbers.to, from_number: numbers.from }),
      modulations: tx.json((sealed ? await sealSnapshotNumbers(tx, orgId, "calls.modulations", snapshot) : snapshot) as never),
    })}
    returning id`);
  return [row!.id, numbers];
}

describe("rotating the number keys", () => {
  it("re-seals every row under new keys while calls keep being written, and loses none", async () => {
    const orgId = await createOrg("global");
    const { userId } = await member(orgId, "owner");
    const written: Written = new Map();
    for (let i = 0; i < 150; i++) written.set(...(await insertCall(orgId, userId, i, { sealed: i >= 20 })));

    // A writer placing calls through the whole rotation.
    let writing = true;
    const writer = (async () => {
      for (let i = 1000; writing; i++) written.set(...(await insertCall(orgId, userId, i, { sealed: true })));
    })();

    const oldKek = (await readFile(path.join(keysDir(), "key-encryption-keys"), "utf8")).trim();
    const kek = await addLocalKek();
    const rotated = await rotateNumberKeys({ newDataKeys: true, orgIds: [orgId] });
    expect(rotated).toEqual({ rewrapped: 1, minted: 1 });
    const during = await resealNumbers({ orgIds: [orgId], batch: 25 });
    writing = false;
    await writer;
    // Calls written between a batch and the pass's end were sealed under the new key already;
    // a final pass finds nothing more, or only what was written under the old key mid-rotation.
    const after = await resealNumbers({ orgIds: [orgId] });
    expect(after.finished).toBe(true);
    expect(Object.values(during.done).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150 * 2);

    // Drop the old KEK: everything must open under the new one alone.
    await writeFile(path.join(keysDir(), "key-encryption-keys"), (await readFile(path.join(keysDir(), "key-encryption-keys"), "utf8")).replace(oldKek, "").trim() + "\n");
    resetKeyRing();
    forgetCurrentDataKeys();

    const rows = await asService(async (tx) => {
      const stored = await tx<{ id: string; toNumber: string; fromNumber: string; toHash: string; fromHash: string; modulations: unknown }[]>`
        select id, to_number as "toNumber", from_number as "fromNumber", to_number_hash as "toHash", from_number_hash as "fromHash", modulations
        from public.calls where organization_id = ${orgId}`;
      const [current] = await tx<{ id: string }[]>`select id from private.number_data_keys where organization_id = ${orgId} and current`;
      const opened = await openCallNumbers(tx, orgId, stored);
      return { stored, opened, current: current!.id, snapshots: await Promise.all(stored.map((r) => openSnapshotNumbers(tx, orgId, "calls.modulations", r.modulations))) };
    });
    expect(written.size).toBeGreaterThan(150);
    expect(rows.stored).toHaveLength(written.size);
    for (const [i, row] of rows.opened.entries()) {
      const want = written.get(row.id)!;
      expect({ to: row.toNumber, from: row.fromNumber }).toEqual(want);
      expect(rows.snapshots[i]).toMatchObject(want);
      const raw = rows.stored[i]!;
      expect([dataKeyIdOf(raw.toNumber), dataKeyIdOf(raw.fromNumber)]).toEqual([rows.current, rows.current]);
      expect([raw.toHash, raw.fromHash]).toEqual([await numberHash(orgId, want.to), await numberHash(orgId, want.from)]);
    }
    expect(kek).not.toBe(oldKek.split(":")[0]);
  }, 120_000);
});
