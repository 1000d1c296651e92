import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import type { CallFilter } from "@/lib/calls/contracts";
import { listCallIds } from "@/lib/calls/call-search";
import { viewFor, type CallView } from "@/lib/calls/call-view";
import { config } from "@/lib/config";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, GoneError, NotFoundError, SignatureError, UnprocessableError } from "@/lib/errors";
import { EXPORT_MAX_CALLS, type EvidenceExportLink, type EvidenceExportRequest, type EvidenceExportView } from "@/lib/evidence-sealing/export-contracts";
import { ARCHIVE_FORMAT, ARCHIVE_INDEX, ARCHIVE_README, archiveFileName, archiveInstructions, type ArchiveEntry, type ArchiveIndex } from "@/lib/evidence/archive";
import { measuringStream } from "@/lib/evidence/measuring-stream";
import { exportEvidence } from "@/lib/evidence-sealing/export";
import { latestManifest } from "@/lib/evidence-sealing/manifests";
import { enqueue } from "@/lib/jobs";
import type { Logger } from "@/lib/logger";
import type { Membership } from "@/lib/rbac/authorize";
import { storage } from "@/lib/storage";
import { isUuid } from "@/lib/pg-safe";

/**
 * Bulk evidence export (issue 11, docs/adr/0020): the one writer of `evidence_exports`.
 *
 * A member asks for the sealed calls a filter (or a list of ids) selects; the selection is
 * frozen then (`call_ids`) and the `bulk_export` job builds ONE ZIP streamed to storage: each
 * call's bundle exactly as `exportEvidence` streams it, as `<call id>.zip`, then index.json and
 * VERIFY.md. Each call is a custody event (`evidence.exported`, request id `bulk-export:<id>`),
 * recorded before its bytes are written and once per export however often the job runs.
 * Progress moves per call; cancel is seen before the next call and ends the stream (the
 * storage adapter drops the partial object). A call that cannot be exported fails the export,
 * naming it: never a silent partial archive. The archive is downloadable through short-lived
 * signed links until `expires_at`; the crontab's cleanup then deletes it.
 */

/** How long a download link works. */
export const LINK_SECONDS = 600;
/** How long a completed archive is kept. */
export const ARCHIVE_SECONDS = 24 * 3600;
/** Attempts of the job: a crash or a lost connection is retried from the start. */
const JOB_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------
// Selection

/**
 * The organization's calls that match `filter`, newest first, in the call list's own keyset
 * walk (lib/calls/call-search.ts `listCallIds`): an export holds exactly the calls the list
 * shows for the same filters, with the same permission and range checks (403, 422).
 */
export async function* matchingCallIds(tx: Tx, { orgId, filter, view }: { orgId: string; filter: CallFilter; view: CallView }): AsyncGenerator<string> {
  let before: string | undefined;
  for (;;) {
    const { ids, nextBefore } = await listCallIds(tx, { orgId, filter, view, before, limit: 200 });
    yield* ids;
    if (!nextBefore) return;
    before = nextBefore;
  }
}

/**
 * The sealed calls (at least one manifest) a request selects, in archive order. Refuses an
 * empty selection and one over `EXPORT_MAX_CALLS` (422, never truncated), and ids that are not
 * sealed calls of this organization (422 naming them; the same words whether another
 * organization has such a call or nobody does).
 */
export async function selectSealedCalls(tx: Tx, { membership, request }: { membership: Membership; request: EvidenceExportRequest }): Promise<string[]> {
  const orgId = membership.orgId;
  const sealedOf = async (ids: string[]) =>
    new Set(
      (await tx<{ callId: string }[]>`
        select distinct m.call_id as "callId" from public.evidence_manifests m where m.organization_id = ${orgId} and m.call_id = any(${ids}::uuid[])`).map((r) => r.callId),
    );
  let selected: string[] = [];
  if (request.callIds) {
    const ids = [...new Set(request.callIds)];
    const sealed = await sealedOf(ids);
    const missing = ids.filter((id) => !sealed.has(id));
    if (missing.length > 0) {
      throw new UnprocessableError(
        `${missing.length} of the chosen calls are not sealed calls of this organization (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}). Evidence is sealed a few seconds after a call ends.`,
        "not_sealed",
        { callIds: missing.slice(0, 50) },
      );
    }
    selected = ids;
  } else {
    const page: string[] = [];
    const flush = async () => {
      const sealed = await sealedOf(page);
      for (const id of page) if (sealed.has(id)) selected.push(id);
      page.length = 0;
    };
    for await (const id of matchingCallIds(tx, { orgId, filter: request.filter ?? {}, view: viewFor(membership) })) {
      page.push(id);
      if (page.length === 200) await flush();
      if (selected.length > EXPORT_MAX_CALLS) break;
    }
    await flush();
  }
  if (selected.length === 0) throw new UnprocessableError("No sealed calls match these filters, so there is nothing to export. Evidence is sealed a few seconds after a call ends.", "no_sealed_calls");
  if (selected.length > EXPORT_MAX_CALLS) {
    throw new UnprocessableError(`These filters select more than ${EXPORT_MAX_CALLS} sealed calls; one export holds at most ${EXPORT_MAX_CALLS}. Narrow the dates or statuses and export in parts.`, "too_many_calls", { max: EXPORT_MAX_CALLS });
  }
  return selected;
}

// ---------------------------------------------------------------------------------------------
// Requests (member transaction for reads; the writes on the service path)

interface ExportRow {
  id: string;
  organizationId: string;
  requestedBy: string;
  filter: Record<string, unknown>;
  callIds: string[];
  status: EvidenceExportView["status"];
  done: number;
  total: number;
  currentCallId: string | null;
  bytes: string | null;
  sha256: string | null;
  storagePath: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

const COLUMNS = (tx: Tx) => tx`
  id, organization_id as "organizationId", requested_by as "requestedBy", filter, call_ids as "callIds", status, done, total,
  current_call_id as "currentCallId", bytes::text as bytes, sha256, storage_path as "storagePath", error,
  created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt", expires_at as "expiresAt"`;

function view(row: ExportRow): EvidenceExportView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    status: row.status,
    requestedBy: row.requestedBy,
    filter: row.filter,
    done: row.done,
    total: row.total,
    currentCallId: row.currentCallId,
    bytes: row.bytes === null ? null : Number(row.bytes),
    sha256: row.sha256,
    error: row.error,
    createdAt: iso(row.createdAt)!,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    expiresAt: iso(row.expiresAt),
  };
}

/** How many sealed calls the request would archive (the dialog shows it before Start). */
export async function previewExport(tx: Tx, args: { membership: Membership; request: EvidenceExportRequest }): Promise<{ dryRun: true; total: number }> {
  return { dryRun: true, total: (await selectSealedCalls(tx, args)).length };
}

/** Freeze the selection and queue the job; the export and its job are stored together. */
export async function requestExport(tx: Tx, { membership, userId, request }: { membership: Membership; userId: string; request: EvidenceExportRequest }): Promise<EvidenceExportView> {
  const callIds = await selectSealedCalls(tx, { membership, request });
  const orgId = membership.orgId;
  const filter = request.callIds ? { callIds: request.callIds } : (request.filter ?? {});
  return asService(async (service) => {
    const [row] = await service<ExportRow[]>`
      insert into public.evidence_exports (organization_id, requested_by, filter, call_ids, total)
      values (${orgId}, ${userId}, ${service.json(filter as never)}, ${callIds}::uuid[], ${callIds.length})
      returning ${COLUMNS(service)}`;
    await enqueue(service, "bulk_export", { orgId, exportId: row!.id }, { jobKey: `bulk_export:${row!.id}`, maxAttempts: JOB_ATTEMPTS });
    return view(row!);
  });
}

/** The caller's recent exports in the organization, newest first. */
export async function listExports(tx: Tx, { orgId, userId, limit = 10 }: { orgId: string; userId: string; limit?: number }): Promise<EvidenceExportView[]> {
  const rows = await tx<ExportRow[]>`
    select ${COLUMNS(tx)} from public.evidence_exports
    where organization_id = ${orgId} and requested_by = ${userId}
    order by created_at desc, id desc limit ${limit}`;
  return rows.map(view);
}

async function exportRow(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<ExportRow> {
  if (!isUuid(id)) throw new NotFoundError("No such export in this organization.");
  const [row] = await tx<ExportRow[]>`select ${COLUMNS(tx)} from public.evidence_exports where organization_id = ${orgId} and id = ${id}`;
  if (!row) throw new NotFoundError("No such export in this organization.");
  return row;
}

export async function getExport(tx: Tx, args: { orgId: string; id: string }): Promise<EvidenceExportView> {
  return view(await exportRow(tx, args));
}

/** Queued or running → canceled; the job sees it before its next call and drops its partial file. */
export async function cancelExport(tx: Tx, args: { orgId: string; id: string }): Promise<EvidenceExportView> {
  await exportRow(tx, args);
  const row = await asService(async (service) => {
    const [updated] = await service<ExportRow[]>`
      update public.evidence_exports set status = 'canceled', finished_at = now(), current_call_id = null
      where organization_id = ${args.orgId} and id = ${args.id} and status in ('queued', 'running')
      returning ${COLUMNS(service)}`;
    return updated;
  });
  if (!row) {
    const current = await exportRow(tx, args);
    throw new ConflictError(`This export is ${current.status}; only a queued or running export can be canceled.`, "not_cancelable", { status: current.status });
  }
  return view(row);
}

// ---------------------------------------------------------------------------------------------
// Download links: HMAC over (export, member, expiry), with a key derived for this one purpose.

function linkKey(): Buffer {
  const secret = config().sessionSecret;
  if (!secret || secret.length < 32) throw new Error("Signing export links needs SESSION_SECRET (32+ characters).");
  return Buffer.from(hkdfSync("sha256", secret, "verbatim", "verbatim/evidence-export-link/v1", 32));
}

const linkMac = (id: string, userId: string, exp: number) => createHmac("sha256", linkKey()).update(`v1\n${id}\n${userId}\n${exp}`).digest();

function assertDownloadable(row: ExportRow, now = Date.now()): asserts row is ExportRow & { storagePath: string; expiresAt: Date } {
  if (row.status === "expired" || (row.status === "completed" && row.expiresAt && new Date(row.expiresAt).getTime() <= now)) {
    throw new GoneError("This export's archive has expired and was deleted. Start a new export to get the evidence again.", "export_expired");
  }
  if (row.status !== "completed" || !row.storagePath || !row.expiresAt) {
    throw new ConflictError(`This export is ${row.status}; only a completed export can be downloaded.`, "not_completed", { status: row.status });
  }
}

/**
 * A download URL for the member, good for `LINK_SECONDS` (or until the archive expires, if
 * sooner). It needs the member's session as well: the link cannot be handed on.
 */
export async function exportLink(tx: Tx, { orgId, id, userId }: { orgId: string; id: string; userId: string }): Promise<EvidenceExportLink> {
  const row = await exportRow(tx, { orgId, id });
  assertDownloadable(row);
  const exp = Math.min(Math.floor(Date.now() / 1000) + LINK_SECONDS, Math.floor(new Date(row.expiresAt).getTime() / 1000));
  const sig = linkMac(id, userId, exp).toString("base64url");
  return {
    url: `/api/evidence/exports/${id}/download?orgId=${orgId}&exp=${exp}&sig=${sig}`,
    expiresAt: new Date(exp * 1000).toISOString(),
    archiveExpiresAt: new Date(row.expiresAt).toISOString(),
  };
}

/**
 * The archive as a stream, for a link made for this member (else 403) while the archive lasts
 * (else 410) and the link has not expired (else 403).
 */
export async function openExportDownload(
  tx: Tx,
  { orgId, id, userId, exp, sig }: { orgId: string; id: string; userId: string; exp: string; sig: string },
): Promise<{ body: ReadableStream<Uint8Array>; fileName: string; bytes: number; sha256: string }> {
  const row = await exportRow(tx, { orgId, id });
  const expiresAt = Number(exp);
  const given = Buffer.from(sig, "base64url");
  const expected = linkMac(id, userId, expiresAt);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SignatureError("This download link is not valid for you; ask for a new one on the page.");
  // A genuine link to an archive that is gone says so (410), whether or not the link is still fresh.
  assertDownloadable(row);
  if (expiresAt <= Math.floor(Date.now() / 1000)) throw new SignatureError("This download link has expired; ask for a new one on the page.");
  let stream: NodeJS.ReadableStream;
  try {
    stream = await storage().open(row.storagePath);
  } catch (error) {
    if (error instanceof NotFoundError) throw new GoneError("This export's archive is no longer stored. Start a new export.", "export_expired");
    throw error;
  }
  return {
    body: Readable.toWeb(stream as Readable) as ReadableStream<Uint8Array>,
    fileName: `verbatim-evidence-export-${id}.zip`,
    bytes: Number(row.bytes),
    sha256: row.sha256!,
  };
}

// ---------------------------------------------------------------------------------------------
// The job

/** A call that could not be exported: the export fails naming it. */
class CallExportError extends Error {}
/** The export was canceled (or otherwise left `running`) while the job worked. */
class ExportStopped extends Error {}

export type BulkExportOutcome = { outcome: "completed"; bytes: number; sha256: string } | { outcome: "canceled" } | { outcome: "failed"; error: string } | { outcome: "skipped"; status: string };

export async function runBulkExport(
  { orgId, exportId }: { orgId: string; exportId: string },
  job: { log: Logger; attempts?: number; maxAttempts?: number },
): Promise<BulkExportOutcome> {
  // Start (or start over, after a crash): progress from zero, the same archive path.
  const row = await asService(async (tx) => {
    const [r] = await tx<ExportRow[]>`
      update public.evidence_exports set status = 'running', started_at = now(), done = 0, current_call_id = null
      where organization_id = ${orgId} and id = ${exportId} and status in ('queued', 'running')
      returning ${COLUMNS(tx)}`;
    return r;
  });
  if (!row) {
    const [current] = await asService((tx) => tx<{ status: string }[]>`select status from public.evidence_exports where organization_id = ${orgId} and id = ${exportId}`);
    job.log.info({ exportId, status: current?.status ?? "missing" }, "bulk_export: nothing to do");
    return { outcome: "skipped", status: current?.status ?? "missing" };
  }
  const storagePath = `${orgId}/exports/${exportId}.zip`;
  const requestId = `bulk-export:${exportId}`;
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const stored = storage().put(storagePath, output, { contentType: "application/zip" });
  stored.catch(() => undefined); // awaited below; an abort rejects it before then
  const entries: ArchiveEntry[] = [];
  try {
    for (const [i, callId] of row.callIds.entries()) {
      const running = await asService((tx) => tx`
        update public.evidence_exports set current_call_id = ${callId}, done = ${i}
        where organization_id = ${orgId} and id = ${exportId} and status = 'running' returning id`);
      if (running.length === 0) throw new ExportStopped("The export is no longer running.");
      entries.push(await archiveCall(zip, { orgId, callId, actorUserId: row.requestedBy, requestId }));
    }
    const index: ArchiveIndex = {
      format: ARCHIVE_FORMAT,
      exportId,
      organizationId: orgId,
      filter: row.filter,
      requestedBy: row.requestedBy,
      requestedAt: new Date(row.createdAt).toISOString(),
      builtAt: new Date().toISOString(),
      issuer: config().publicBaseUrl,
      calls: entries,
    };
    zip.addBuffer(Buffer.from(`${JSON.stringify(index, null, 2)}\n`, "utf8"), ARCHIVE_INDEX, { compress: true });
    zip.addBuffer(Buffer.from(archiveInstructions(index), "utf8"), ARCHIVE_README, { compress: true });
    zip.end();
    const { bytes, sha256 } = await stored;
    const completed = await asService((tx) => tx`
      update public.evidence_exports
      set status = 'completed', done = total, current_call_id = null, bytes = ${bytes}, sha256 = ${sha256}, storage_path = ${storagePath},
          finished_at = now(), expires_at = now() + make_interval(secs => ${ARCHIVE_SECONDS})
      where organization_id = ${orgId} and id = ${exportId} and status = 'running' returning id`);
    if (completed.length === 0) {
      // Canceled between the last call and the end: the archive goes too.
      await storage().remove(storagePath);
      return { outcome: "canceled" };
    }
    job.log.info({ exportId, calls: entries.length, bytes }, "bulk_export: archive stored");
    return { outcome: "completed", bytes, sha256 };
  } catch (error) {
    output.destroy(error as Error);
    await stored.catch(() => undefined);
    // The adapter never publishes an object whose stream failed; a file from an earlier attempt may remain.
    await storage().remove(storagePath).catch(() => undefined);
    if (error instanceof ExportStopped) {
      job.log.info({ exportId }, "bulk_export: canceled; partial archive removed");
      return { outcome: "canceled" };
    }
    const final = error instanceof CallExportError || (job.attempts ?? 1) >= (job.maxAttempts ?? 1);
    const message = (error as Error).message.slice(0, 2000);
    await asService((tx) => tx`
      update public.evidence_exports set status = ${final ? "failed" : "queued"}, error = ${final ? message : null},
             finished_at = ${final ? new Date() : null}, current_call_id = null
      where organization_id = ${orgId} and id = ${exportId} and status = 'running'`);
    if (final) {
      job.log.warn({ exportId, err: message }, "bulk_export: failed");
      return { outcome: "failed", error: message };
    }
    throw error;
  }
}

/**
 * One call's bundle into the archive as `<call id>.zip`: the stored objects its manifest names
 * are checked first (a missing one fails the export, naming the call, before anything of it is
 * written), then `exportEvidence` records the custody event (once per export) and streams the
 * bundle, which passes through a hash on its way into the outer ZIP.
 */
async function archiveCall(zip: yazl.ZipFile, { orgId, callId, actorUserId, requestId }: { orgId: string; callId: string; actorUserId: string; requestId: string }): Promise<ArchiveEntry> {
  const fail = (why: string) => new CallExportError(`Call ${callId} could not be exported: ${why}`);
  const bundle = await asService(async (tx) => {
    const latest = await latestManifest(tx, { orgId, callId });
    if (!latest) throw fail("it has no sealed manifest.");
    for (const artifact of latest.manifest.artifacts) {
      if (artifact.location.store === "object" && !(await storage().exists(artifact.location.path))) {
        throw fail(`its ${artifact.kind} (${artifact.id}) is missing from storage.`);
      }
    }
    try {
      return await exportEvidence(tx, { orgId, callId, actorUserId, requestId, custody: "once" });
    } catch (error) {
      throw fail((error as Error).message);
    }
  });
  const { stream: measure, measured } = measuringStream();
  zip.addReadStream(measure, archiveFileName(callId), { compress: false });
  try {
    await pipeline(Readable.fromWeb(bundle.body as import("node:stream/web").ReadableStream<Uint8Array>), measure);
  } catch (error) {
    throw fail((error as Error).message);
  }
  return { callId, file: archiveFileName(callId), ...measured(), manifestVersion: bundle.version, manifestSha256: bundle.manifestSha256 };
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/** Delete archives past `expires_at` and mark their exports expired (from the crontab). */
export async function expireEvidenceExports({ log }: { log: Logger }): Promise<{ expired: number }> {
  const due = await asService((tx) => tx<{ id: string; organizationId: string; storagePath: string }[]>`
    select id, organization_id as "organizationId", storage_path as "storagePath" from public.evidence_exports
    where status = 'completed' and expires_at <= now() order by expires_at limit 200`);
  let expired = 0;
  for (const row of due) {
    try {
      await storage().remove(row.storagePath);
      const updated = await asService((tx) => tx`
        update public.evidence_exports set status = 'expired' where organization_id = ${row.organizationId} and id = ${row.id} and status = 'completed' returning id`);
      expired += updated.length;
    } catch (error) {
      log.warn({ exportId: row.id, err: (error as Error).message }, "expire_evidence_exports: could not delete an archive; will retry");
    }
  }
  if (expired > 0) log.info({ expired }, "expire_evidence_exports: expired archives deleted");
  return { expired };
}
