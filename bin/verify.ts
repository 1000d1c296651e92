/**
 * `npm run verify` — checks Verbatim evidence offline (lib/evidence/verify-bundle.ts): no
 * database and no network, except `--log`. `--help` prints the usage below.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { openZipBundle } from "@/lib/evidence/bundle-zip";
import { formatReport, verifyBundle, type Verdict } from "@/lib/evidence/verify-bundle";
import { formatArchiveReport, isArchive, verifyArchive } from "@/lib/evidence/verify-archive";

export const USAGE = `Usage:
  npm run verify -- <bundle.zip> [--jwks <keys.json>] [--tsa-cert <tsa.pem>] [--json]
  npm run verify -- <archive.zip> [--jwks <keys.json>] [--tsa-cert <tsa.pem>] [--json]
  npm run verify -- --log <organization id> [--json]
  npm run verify -- --help

Checks an evidence bundle (one call) or a bulk export archive (index.json and a bundle per
call) offline: signatures, the export statement and the bundle's exact inventory, every
artifact's size, SHA-256 and SHA-512, cited documents, the custody record, inclusion of every
manifest version and of the export statement in the signed log head, consistency with an
earlier head, and the RFC 3161 timestamp. Prints every check, failures first.

Pinning (who made it):
  --jwks <file>      the issuer's public keys, a JWK Set, as published at
                     <issuer>/api/evidence/jwks (fetch it once, over HTTPS, and keep it)
  --tsa-cert <file>  the TSA certificate(s) you trust, PEM; Verbatim publishes the ones it
                     uses at <issuer>/api/evidence/tsa
  Without both, the verifier trusts the keys and certificate the bundle carries itself: it
  can then show only that the bundle is intact and self-consistent, not who made it, since
  anyone can build a bundle with their own key and TSA. It says so, and exits 2.

  --log <org id>     checks an organization's whole log, its signed heads, their timestamps
                     and the custody chain against the database (DATABASE_URL, or the
                     embedded default), with this server's keys and TSA certificates
  --json             prints the full report as JSON (with "verdict" and "trust")

Exit codes:
  0  VERIFIED: every check passed, against the keys and TSA certificate you pinned
  1  NOT VERIFIED: a check failed (each failure is printed), or the file cannot be read
  2  SELF-CONSISTENT ONLY: every check passed against the bundle's own keys and TSA
  64 the command line is wrong (this text is printed)`;

const EXIT: Record<Verdict, number> = { verified: 0, failed: 1, self_consistent: 2 };

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { log: { type: "string" }, jwks: { type: "string" }, "tsa-cert": { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(64);
  }
}
const { values, positionals } = parse();

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.log) {
    // Only this mode touches the database; the bundle mode never loads it.
    const { verifyOrganizationLog } = await import("@/lib/evidence-sealing/verify-log");
    const report = await verifyOrganizationLog(values.log);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`${report.ok ? "VERIFIED" : "NOT VERIFIED"}: log of ${report.organizationId}, ${report.leaves} leaves, ${report.heads} signed heads.`);
      for (const c of [...report.failures, ...report.checks.filter((c) => c.ok)]) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.check.padEnd(20)} ${c.subject}: ${c.message}`);
    }
    return report.ok ? 0 : 1;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 64;
  }
  const options = {
    jwks: values.jwks ? JSON.parse(await readFile(values.jwks, "utf8")) : undefined,
    trustedTsaCertificates: values["tsa-cert"] ? [await readFile(values["tsa-cert"], "utf8")] : undefined,
  };
  const bundle = await openZipBundle(file);
  try {
    if (isArchive(bundle)) {
      const archive = await verifyArchive(bundle, options);
      console.log(values.json ? JSON.stringify(archive, null, 2) : formatArchiveReport(archive));
      return EXIT[archive.verdict];
    }
    const report = await verifyBundle(bundle, options);
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return EXIT[report.verdict];
  } finally {
    bundle.close();
  }
}

try {
  process.exitCode = await main();
  if (values.log) process.exit(process.exitCode);
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exit(1);
}
