import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BundleReader } from "./bundle";
import { BundleZipError, openZipBundle } from "./bundle-zip";
import { measuringStream } from "./measuring-stream";
import { ARCHIVE_INDEX, ARCHIVE_README, archiveIndexSchema, type ArchiveIndex } from "./archive";
import { untrusted, verdictOf, verifyBundle, type Verdict, type VerificationReport, type VerifyOptions } from "./verify-bundle";

/**
 * A bulk evidence archive (docs/adr/0020), checked offline: index.json parses; the archive holds
 * exactly the bundles it lists (a listed bundle that is missing and a bundle it does not list
 * both fail); each bundle's bytes have the listed size and SHA-256; and each bundle passes
 * `verifyBundle`, for the call and manifest hash the index names. Each inner bundle is copied
 * to a temporary file while it is hashed (never held in memory), at most the size the index
 * lists, and opened from there; an inner bundle the archive cannot yield intact fails that call.
 */
export interface ArchiveCallResult {
  callId: string;
  file: string;
  ok: boolean;
  /** Why the call failed, in words (the first few failed checks); empty when it passed. */
  problems: string[];
  report: VerificationReport | null;
}

export interface ArchiveReport {
  ok: boolean;
  index: ArchiveIndex | null;
  /** Archive-level problems: no index, unlisted entries. */
  problems: string[];
  calls: ArchiveCallResult[];
  /** As for one bundle: "verified" only when every bundle passed against pinned keys and TSA. */
  verdict: Verdict;
  trust: VerificationReport["trust"];
}

/** True when the ZIP is a bulk archive (index.json and no manifest of its own). */
export function isArchive(reader: BundleReader): boolean {
  const names = reader.names();
  return names.includes(ARCHIVE_INDEX) && !names.includes("manifest.json");
}

export async function verifyArchive(reader: BundleReader, options: VerifyOptions = {}): Promise<ArchiveReport> {
  const trust = { jwks: options.jwks ? "caller" : "bundle", tsa: options.trustedTsaCertificates ? "caller" : "bundle" } as const;
  const raw = await reader.read(ARCHIVE_INDEX);
  let index: ArchiveIndex;
  try {
    index = archiveIndexSchema.parse(JSON.parse(new TextDecoder().decode(raw ?? new Uint8Array())));
  } catch (error) {
    return { ok: false, index: null, problems: [`index.json is missing or not a Verbatim archive index: ${(error as Error).message.slice(0, 300)}`], calls: [], verdict: "failed", trust };
  }
  const problems: string[] = [];
  const listed = new Set(index.calls.map((c) => c.file));
  if (listed.size !== index.calls.length) problems.push("index.json lists a bundle twice.");
  for (const name of reader.names()) {
    if (name !== ARCHIVE_INDEX && name !== ARCHIVE_README && !listed.has(name)) problems.push(`${name} is in the archive but not listed in index.json.`);
  }

  const dir = await mkdtemp(path.join(tmpdir(), "verbatim-archive-"));
  const calls: ArchiveCallResult[] = [];
  try {
    for (const entry of index.calls) {
      const fail = (...why: string[]) => calls.push({ callId: entry.callId, file: entry.file, ok: false, problems: why, report: null });
      const file = path.join(dir, `${calls.length}.zip`);
      const { stream: measure, measured } = measuringStream();
      try {
        // The index's size binds the copy: a bundle declared at another size is refused unread.
        const stream = await reader.stream(entry.file, entry.bytes);
        if (!stream) {
          fail(`${entry.file} is listed in index.json but missing from the archive.`);
          continue;
        }
        await pipeline(Readable.from(stream), measure, createWriteStream(file));
      } catch (error) {
        if (!(error instanceof BundleZipError)) throw error;
        await rm(file, { force: true });
        fail(`${entry.file} cannot be read from the archive: ${error.message}`);
        continue;
      }
      const { sha256, bytes } = measured();
      const mismatch: string[] = [];
      if (sha256 !== entry.sha256) mismatch.push(`its SHA-256 is ${sha256}, index.json lists ${entry.sha256}`);
      if (bytes !== entry.bytes) mismatch.push(`it is ${bytes} bytes, index.json lists ${entry.bytes}`);

      let report: VerificationReport | null = null;
      try {
        const bundle = await openZipBundle(file);
        try {
          report = await verifyBundle(bundle, options);
        } finally {
          bundle.close();
        }
      } catch (error) {
        mismatch.push(`the bundle cannot be read: ${(error as Error).message}`);
      }
      if (report) {
        for (const f of report.failures.slice(0, 3)) mismatch.push(`${f.check} ${f.subject}${f.field ? ` [${f.field}]` : ""}: ${f.message}`);
        if (report.failures.length > 3) mismatch.push(`and ${report.failures.length - 3} more failed check(s)`);
        if (report.manifest && report.manifest.callId !== entry.callId) mismatch.push(`its manifest is for call ${report.manifest.callId}`);
        if (report.manifest && report.manifest.organizationId !== index.organizationId) mismatch.push(`its manifest is for organization ${report.manifest.organizationId}`);
        if (report.manifest && report.manifest.sha256 !== entry.manifestSha256) mismatch.push(`its manifest hash is ${report.manifest.sha256}, index.json lists ${entry.manifestSha256}`);
        if (report.manifest && report.manifest.version !== entry.manifestVersion) mismatch.push(`its manifest is version ${report.manifest.version}, index.json lists ${entry.manifestVersion}`);
      }
      calls.push({ callId: entry.callId, file: entry.file, ok: mismatch.length === 0 && Boolean(report?.ok), problems: mismatch, report });
      await rm(file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ok = problems.length === 0 && calls.every((c) => c.ok) && calls.length > 0;
  return { ok, index, problems, calls, verdict: verdictOf(ok, trust), trust };
}

/** One line per call (PASS/FAIL, call id, what failed), archive problems first, then the verdict. */
export function formatArchiveReport(report: ArchiveReport): string {
  const lines: string[] = [];
  if (report.index) lines.push(`Archive ${report.index.exportId}: ${report.index.calls.length} call(s) of organization ${report.index.organizationId}.`);
  for (const p of report.problems) lines.push(`FAIL  archive: ${p}`);
  for (const c of report.calls) {
    const version = c.report?.manifest ? ` v${c.report.manifest.version} ${c.report.manifest.sha256.slice(0, 12)}…` : "";
    lines.push(c.ok ? `PASS  ${c.callId}${version}` : `FAIL  ${c.callId}${version}: ${c.problems.join("; ")}`);
  }
  const failed = report.calls.filter((c) => !c.ok).length;
  lines.push(
    report.verdict === "verified"
      ? `VERIFIED: all ${report.calls.length} bundle(s) passed, against the keys and TSA certificates you pinned.`
      : report.verdict === "self_consistent"
        ? `SELF-CONSISTENT ONLY: all ${report.calls.length} bundle(s) passed, but against ${untrusted(report.trust)} the bundles carry themselves: that shows they are intact, not who made them. Pin the issuer's published keys (--jwks) and TSA certificate (--tsa-cert) to verify their origin.`
        : `NOT VERIFIED: ${failed} of ${report.calls.length} bundle(s) failed${report.problems.length ? `, ${report.problems.length} archive problem(s)` : ""}.`,
  );
  return lines.join("\n");
}
