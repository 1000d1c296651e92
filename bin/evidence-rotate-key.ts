/**
 * `npm run evidence:rotate-key [-- --dir .data/evidence-keys]`
 *   Retires the embedded default's evidence signing key and makes a new one. The retired public
 *   key stays in the JWKS, so every bundle it signed still verifies. Running servers pick up the
 *   new key when they next load the keyring.
 * `npm run evidence:rotate-key -- --environment`
 *   Production: reads EVIDENCE_SIGNING_KEY, EVIDENCE_SIGNING_KEY_ID and EVIDENCE_RETIRED_KEYS
 *   and prints the three values to set next (a new private key — treat the output as a secret).
 */
import { parseArgs } from "node:util";
import { rotateEnvironmentKeys, rotateKey } from "@/lib/evidence-sealing/keys";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: ".data/evidence-keys" },
    environment: { type: "boolean", default: false },
  },
});

const shellQuote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

async function main(): Promise<void> {
  if (values.environment) {
    const signingKey = process.env.EVIDENCE_SIGNING_KEY;
    if (!signingKey) throw new Error("EVIDENCE_SIGNING_KEY is not set: there is no current key to retire.");
    const next = await rotateEnvironmentKeys({ signingKey, signingKeyId: process.env.EVIDENCE_SIGNING_KEY_ID, retiredKeys: process.env.EVIDENCE_RETIRED_KEYS });
    console.log(`EVIDENCE_SIGNING_KEY=${shellQuote(next.signingKey)}`);
    console.log(`EVIDENCE_SIGNING_KEY_ID=${shellQuote(next.signingKeyId)}`);
    console.log(`EVIDENCE_RETIRED_KEYS=${shellQuote(next.retiredKeys)}`);
    console.error("✔ Set these three values together and redeploy; the old key now verifies only.");
    return;
  }
  const { retiredKid, currentKid } = await rotateKey(values.dir);
  console.log(`✔ Evidence key ${retiredKid} retired; ${currentKid} signs from now on (${values.dir}).`);
}

try {
  await main();
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
}
