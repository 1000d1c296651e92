/**
 * `npm run verify -- <bundle.zip> [--jwks keys.json] [--tsa-cert tsa.pem] [--json]`
 *   Checks an evidence bundle offline: no database, no network (lib/evidence/verify-bundle.ts).
 *   Prints every check, failures first, naming the artifact, field or proof; exit 0 when all
 *   pass, 1 otherwise. By default the bundle's own jwks.json and tsa.pem are trusted; pass the
 *   issuer's published keys and the TSA certificate you trust to pin them.
 * `npm run verify -- <archive.zip>`
 *   A bulk export archive (index.json, docs/adr/0020): every bundle it lists, checked against the
 *   index's SHA-256 and size and verified the same way; bundles missing or unlisted fail. One line
 *   per call; exit 0 only when every bundle passes.
 * `npm run verify -- --log <organization id>`
 *   Checks the organization's whole log, chain of signed heads, their timestamps and the custody
 *   chain against the database (DATABASE_URL or the embedded default).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { openZipBundle } from "@/lib/evidence/bundle-zip";
import { formatReport, verifyBundle } from "@/lib/evidence/verify-bundle";
import { formatArchiveReport, isArchive, verifyArchive } from "@/lib/evidence/verify-archive";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { log: { type: "string" }, jwks: { type: "string" }, "tsa-cert": { type: "string" }, json: { type: "boolean", default: false } },
});

async function main(): Promise<boolean> {
  if (values.log) {
    // Only this mode touches the database; the bundle mode never loads it.
    const { verifyOrganizationLog } = await import("@/lib/evidence-sealing/verify-log");
    const report = await verifyOrganizationLog(values.log);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`${report.ok ? "VERIFIED" : "NOT VERIFIED"}: log of ${report.organizationId}, ${report.leaves} leaves, ${report.heads} signed heads.`);
      for (const c of [...report.failures, ...report.checks.filter((c) => c.ok)]) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.check.padEnd(20)} ${c.subject}: ${c.message}`);
    }
    return report.ok;
  }
  const file = positionals[0];
  if (!file) throw new Error("Usage: npm run verify -- <bundle.zip> | <archive.zip> | --log <organization id>");
  const bundle = await openZipBundle(file);
  try {
    const options = {
      jwks: values.jwks ? JSON.parse(await readFile(values.jwks, "utf8")) : undefined,
      trustedTsaCertificates: values["tsa-cert"] ? [await readFile(values["tsa-cert"], "utf8")] : undefined,
    };
    if (isArchive(bundle)) {
      const archive = await verifyArchive(bundle, options);
      console.log(values.json ? JSON.stringify(archive, null, 2) : formatArchiveReport(archive));
      return archive.ok;
    }
    const report = await verifyBundle(bundle, options);
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok;
  } finally {
    bundle.close();
  }
}

try {
  const ok = await main();
  process.exitCode = ok ? 0 : 1;
  if (values.log) process.exit(process.exitCode);
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exit(1);
}
