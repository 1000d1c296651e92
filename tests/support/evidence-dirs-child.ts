/**
 * One process of tests/integration/evidence-dirs-processes.test.ts: waits for the agreed moment,
 * then loads (or creates) the local evidence key and the local TSA in the shared directories,
 * as an app or worker process does on its first seal, and prints what it got.
 *
 *   node --conditions=react-server --import tsx tests/support/evidence-dirs-child.ts <keys dir> <tsa dir> <start at, epoch ms>
 */
import { createHash } from "node:crypto";
import { loadOrCreateLocalKeyring } from "@/lib/evidence-sealing/keys";
import { loadOrCreateLocalTsa } from "@/lib/evidence-sealing/local-tsa";

const [keysDir, tsaDir, startAt] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const [keyring, tsa] = await Promise.all([loadOrCreateLocalKeyring(keysDir!), loadOrCreateLocalTsa(tsaDir!)]);
console.log(JSON.stringify({ kid: keyring.signing.kid, ca: createHash("sha256").update(tsa.caCertificate).digest("hex"), tsa: createHash("sha256").update(tsa.tsaCertificate).digest("hex") }));
