/**
 * `npm run keys:rotate-numbers [-- --new-kek] [-- --new-data-keys]` (docs/adr/0044)
 *   Re-wraps every organization's data key under the primary key-encryption key: run it after
 *   putting a new key first in NUMBER_KEYS (keep the old one after it until this has run, then
 *   drop it). `--new-kek`, in the embedded default, first makes that new key itself in
 *   NUMBER_KEYS_DIR. `--new-data-keys` also gives every organization a new current data key;
 *   the old ones stay, so every stored number still opens. Then every stored number not under
 *   its organization's current data key is re-sealed under it, in batches, with progress (the
 *   worker's `seal_numbers` task does the same every minute, so stopping here loses nothing).
 *   Running servers read the new KEK when they next load the key ring (restart them after
 *   changing NUMBER_KEYS).
 */
import { parseArgs } from "node:util";
import { closeDb } from "@/lib/db/client";
import { addLocalKek } from "@/lib/pii/keys";
import { resealNumbers } from "@/lib/pii/reseal";
import { rotateNumberKeys } from "@/lib/pii/rotation";

const { values } = parseArgs({
  options: {
    "new-kek": { type: "boolean", default: false },
    "new-data-keys": { type: "boolean", default: false },
  },
});

async function main(): Promise<void> {
  if (values["new-kek"]) console.log(`✔ Key-encryption key ${await addLocalKek()} made; it is primary from now on.`);
  const { rewrapped, minted } = await rotateNumberKeys({ newDataKeys: values["new-data-keys"] });
  console.log(`✔ ${rewrapped} data key(s) re-wrapped under the primary key-encryption key; ${minted} organization(s) given a new data key.`);
  const total = (done: Record<string, number>) => Object.values(done).reduce((a, b) => a + b, 0);
  const { done } = await resealNumbers({ onBatch: (p) => process.stdout.write(`\r  re-sealing: ${total(p.done)} value(s)…`) });
  console.log(`\n✔ ${total(done)} stored value(s) re-sealed under the current data keys${total(done) ? `: ${JSON.stringify(done)}` : ""}.`);
}

try {
  await main();
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDb();
}
