import "server-only";
import type { Tx } from "@/lib/db";
import { verdictOf, type VerificationCheck, type VerificationReport } from "@/lib/evidence/verify-bundle";

/**
 * The verify API's second opinion (docs/adr/0025): a bundle that passes offline is also checked
 * against what the organization itself holds, so a bundle rebuilt with a stolen or leaked key
 * still fails. The signed head must be one this log signed (same size, same root: anything else
 * is a fork); every version must be the manifest at that leaf; the export statement must be one
 * this organization logged, at that leaf; and the custody events must be the organization's own,
 * by sequence and hash, with none of the call's events up to the last one left out. A manifest
 * JWS sent alone must be one this organization sealed and logged. Evidence of another
 * organization cannot be checked against this one's log, and says so.
 *
 * Returns the report with these checks added (and `ok` and `verdict` recomputed).
 */
export async function checkAgainstOrganization(tx: Tx, orgId: string, report: VerificationReport): Promise<VerificationReport> {
  if (!report.manifest) return report;
  const checks: VerificationCheck[] = [];
  const add = (ok: boolean, c: Omit<VerificationCheck, "ok">) => checks.push({ ...c, ok });
  if (report.manifest.organizationId !== orgId) {
    add(false, { check: "organization.log", subject: "manifest.jws", reason: "other_organization", message: "This is another organization's evidence: it cannot be checked against your organization's log." });
    return withChecks(report, checks);
  }
  const { log, anchors } = report;
  if (!log || !anchors) {
    // A manifest JWS on its own: it must be a manifest this organization sealed and logged.
    const [leaf] = await tx<{ leafIndex: string }[]>`
      select e.leaf_index::text as "leafIndex" from public.evidence_manifests m
      join public.evidence_log_entries e on e.manifest_id = m.id and e.organization_id = m.organization_id
      where m.organization_id = ${orgId} and m.manifest_sha256 = ${report.manifest.sha256}`;
    if (leaf) add(true, { check: "organization.log", subject: "manifest.jws", message: `The manifest is leaf ${leaf.leafIndex} of your organization's log.` });
    else add(false, { check: "organization.log", subject: "manifest.jws", reason: "not_in_log", message: "Your organization's log has no such manifest." });
    return withChecks(report, checks);
  }

  const [head] = await tx<{ root: string }[]>`
    select encode(root_hash, 'hex') as root from public.evidence_tree_heads where organization_id = ${orgId} and tree_size = ${log.treeSize}`;
  if (!head) add(false, { check: "organization.log", subject: "tree-head.jws", field: "treeSize", reason: "unknown_head", message: `Your organization's log never signed a head of ${log.treeSize} leaves.` });
  else if (head.root !== log.rootHash) add(false, { check: "organization.log", subject: "tree-head.jws", field: "rootHash", reason: "fork", message: `Your organization's head of ${log.treeSize} leaves has root ${head.root}, not ${log.rootHash}: the bundle's log is a fork.` });
  else add(true, { check: "organization.log", subject: "tree-head.jws", message: `The head is the one your organization's log signed at ${log.treeSize} leaves.` });

  const leaves = await tx<{ leafIndex: string; manifestSha256: string | null; statementSha256: string | null }[]>`
    select e.leaf_index::text as "leafIndex", m.manifest_sha256 as "manifestSha256", s.statement_sha256 as "statementSha256"
    from public.evidence_log_entries e
    left join public.evidence_manifests m on m.id = e.manifest_id
    left join public.evidence_export_statements s on s.id = e.export_statement_id
    where e.organization_id = ${orgId} and e.leaf_index in ${tx([...anchors.versions.map((v) => v.leafIndex), anchors.statement?.leafIndex ?? -1])}`;
  const atLeaf = new Map(leaves.map((l) => [Number(l.leafIndex), l]));
  for (const v of anchors.versions) {
    const ok = atLeaf.get(v.leafIndex)?.manifestSha256 === v.manifestSha256;
    add(ok, { check: "organization.log", subject: `version ${v.version} (leaf ${v.leafIndex})`, reason: ok ? undefined : "not_in_log", message: ok ? `Leaf ${v.leafIndex} of your organization's log is this version.` : `Leaf ${v.leafIndex} of your organization's log is not manifest ${v.manifestSha256}.` });
  }
  if (anchors.statement) {
    const ok = atLeaf.get(anchors.statement.leafIndex)?.statementSha256 === anchors.statement.sha256;
    add(ok, { check: "organization.log", subject: `export statement (leaf ${anchors.statement.leafIndex})`, reason: ok ? undefined : "not_in_log", message: ok ? `Leaf ${anchors.statement.leafIndex} of your organization's log is this export (${anchors.statement.exportId}).` : `Your organization's log has no such export statement at leaf ${anchors.statement.leafIndex}.` });
  }

  const last = anchors.custody.at(-1);
  if (last) {
    const ours = await tx<{ sequence: string; hash: string }[]>`
      select c.sequence::text, c.hash from public.custody_events c
      where c.organization_id = ${orgId} and c.call_id = ${report.manifest.callId} and c.sequence <= ${last.sequence} order by c.sequence`;
    const given = new Map(anchors.custody.map((e) => [e.sequence, e.hash]));
    const held = new Map(ours.map((e) => [Number(e.sequence), e.hash]));
    const rewritten = anchors.custody.filter((e) => held.get(e.sequence) !== e.hash).map((e) => e.sequence);
    const left = [...held.keys()].filter((sequence) => !given.has(sequence));
    if (rewritten.length > 0) add(false, { check: "organization.custody", subject: "custody.json", reason: "rewritten", message: `Custody event(s) ${rewritten.join(", ")} are not your organization's record of this call.` });
    if (left.length > 0) add(false, { check: "organization.custody", subject: "custody.json", reason: "removed", message: `Your organization's record of this call has event(s) ${left.join(", ")}, which the bundle leaves out.` });
    if (rewritten.length === 0 && left.length === 0) add(true, { check: "organization.custody", subject: "custody.json", message: `The ${anchors.custody.length} custody events are your organization's record of this call, none left out.` });
  }
  return withChecks(report, checks);
}

function withChecks(report: VerificationReport, added: VerificationCheck[]): VerificationReport {
  const checks = [...report.checks, ...added];
  const failures = checks.filter((c) => !c.ok);
  const ok = failures.length === 0 && report.manifest !== null;
  return { ...report, checks, failures, ok, verdict: verdictOf(ok, report.trust) };
}
