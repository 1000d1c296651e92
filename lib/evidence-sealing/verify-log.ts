import "server-only";
import { asService } from "@/lib/db";
import { brokenCustodyLink } from "@/lib/evidence/custody";
import { ExportStatementError, verifyExportStatement } from "@/lib/evidence/export-statement";
import { jwks } from "@/lib/evidence-sealing/keys";
import { manifestLogEntry, ManifestError, verifyManifest } from "@/lib/evidence/manifest";
import { consistencyProof, hashLeaf, memoryLeafReader, merkleRoot, verifyConsistency } from "@/lib/evidence/merkle";
import { signedTreeHeadBytes, TreeHeadError, verifyTreeHead } from "@/lib/evidence/tree-head";
import { TimeStampError, verifyTimeStampToken } from "@/lib/evidence/timestamp";
import type { VerificationCheck } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { custodyEvents } from "@/lib/evidence-sealing/custody";
import { logEntries, treeHeads } from "@/lib/evidence-sealing/merkle-log";

/**
 * `npm run verify -- --log <org>`: the organization's whole log against the database. Every
 * leaf is SHA-256(0x00 ‖ the JWS of its manifest or export statement) and that JWS verifies; leaf indexes run 0…n−1;
 * every signed head verifies, its root is the root of its first treeSize leaves, it is
 * consistent (RFC 9162 proof, generated and checked) with the head before it, and its RFC 3161
 * token verifies against the configured TSA certificates; the custody chain is unbroken. Leaf
 * hashes are held in memory (32 bytes each) and each head's root is recomputed from them: O(n)
 * per head, fine for the sizes this serves today (docs/adr/0017).
 */
export interface LogReport {
  ok: boolean;
  organizationId: string;
  leaves: number;
  heads: number;
  checks: VerificationCheck[];
  failures: VerificationCheck[];
}

export async function verifyOrganizationLog(orgId: string): Promise<LogReport> {
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);
  const keys = jwks(keyring);
  const { entries, heads, custody } = await asService(async (tx) => ({ entries: await logEntries(tx, orgId), heads: await treeHeads(tx, orgId), custody: await custodyEvents(tx, orgId) }));
  const checks: VerificationCheck[] = [];
  const add = (ok: boolean, c: Omit<VerificationCheck, "ok">) => checks.push({ ...c, ok });

  for (const [i, entry] of entries.entries()) {
    const subject = `leaf ${entry.leafIndex} (${entry.kind === "manifest" ? "manifest" : "export statement"} ${entry.sourceId})`;
    if (entry.leafIndex !== i) add(false, { check: "log.leaf", subject, field: "leafIndex", reason: "gap", message: `Leaf ${entry.leafIndex} is at position ${i}: the log has a gap.` });
    if (entry.unreadable) {
      add(false, { check: "log.leaf", subject, field: "manifest", reason: "unreadable", message: entry.unreadable });
      continue;
    }
    const expected = Buffer.from(hashLeaf(manifestLogEntry(entry.jws))).toString("hex");
    const stored = Buffer.from(entry.leafHash).toString("hex");
    add(expected === stored, { check: "log.leaf", subject, field: "leafHash", message: expected === stored ? `The leaf is its ${entry.kind === "manifest" ? "manifest's" : "export statement's"} JWS.` : `The stored leaf hash ${stored} is not SHA-256(0x00 ‖ JWS) = ${expected}.` });
    try {
      if (entry.kind === "manifest") await verifyManifest(entry.jws, keys);
      else await verifyExportStatement(entry.jws, keys);
    } catch (error) {
      if (!(error instanceof ManifestError) && !(error instanceof ExportStatementError)) throw error;
      add(false, { check: entry.kind === "manifest" ? "manifest.signature" : "export.signature", subject, reason: error.reason, message: error.message });
    }
  }

  const leafHashes = entries.map((e) => e.leafHash);
  let previous: { size: number; root: Uint8Array } | undefined;
  for (const row of heads) {
    const subject = `tree head ${row.treeSize}`;
    try {
      const head = await verifyTreeHead(row.jws, keys);
      const root = merkleRoot(leafHashes.slice(0, row.treeSize));
      const rootOk = head.treeSize === row.treeSize && head.log === orgId && head.rootHash === Buffer.from(root).toString("hex") && row.treeSize <= leafHashes.length;
      add(rootOk, { check: "log.inclusion", subject, field: "rootHash", message: rootOk ? `The signed root is the root of the first ${row.treeSize} leaves.` : `The signed head (log ${head.log}, ${head.treeSize} leaves, root ${head.rootHash}) is not the root of the log's first ${row.treeSize} leaves.` });
      if (previous) {
        const proof = await consistencyProof(memoryLeafReader(leafHashes), previous.size, row.treeSize);
        const ok = verifyConsistency({ oldSize: previous.size, newSize: row.treeSize, oldRoot: previous.root, newRoot: Buffer.from(head.rootHash, "hex"), proof });
        add(ok, { check: "log.consistency", subject: `${subject} after ${previous.size}`, message: ok ? `Consistent with the head of ${previous.size}.` : `Not consistent with the head of ${previous.size}.` });
      }
      previous = { size: row.treeSize, root: new Uint8Array(Buffer.from(head.rootHash, "hex")) };
    } catch (error) {
      if (!(error instanceof TreeHeadError)) throw error;
      add(false, { check: "tree_head.signature", subject, reason: error.reason, message: error.message });
    }
    try {
      const stamp = await verifyTimeStampToken(row.timestampToken, { data: signedTreeHeadBytes(row.jws), trustedCertificates: tsa.trustedCertificates });
      add(true, { check: "timestamp.token", subject, message: `Timestamped ${stamp.genTime.toISOString()} by ${row.tsaName}.` });
    } catch (error) {
      if (!(error instanceof TimeStampError)) throw error;
      add(false, { check: "timestamp.token", subject, reason: error.reason, message: error.message });
    }
  }

  const broken = brokenCustodyLink(custody);
  add(broken === null, { check: "custody.chain", subject: "custody chain", message: broken === null ? `${custody.length} custody events, unbroken.` : `The custody chain breaks at event ${broken}.` });

  const failures = checks.filter((c) => !c.ok);
  return { ok: failures.length === 0, organizationId: orgId, leaves: entries.length, heads: heads.length, checks, failures };
}
