import { verifyUpload } from "@/lib/evidence-sealing/verify";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * Verify an evidence bundle (application/zip) or a manifest JWS (application/jose, text/plain)
 * against this server's keys and TSA: owners, admins and analysts. 200 with the report whether
 * or not it verifies (`ok`, and every check that failed, by file, field and proof). 413 past
 * EVIDENCE_VERIFY_MAX_BYTES (1 GiB), as soon as Content-Length or the bytes counted say so; 429
 * with Retry-After when EVIDENCE_VERIFY_CONCURRENCY bundles are already being checked; 422
 * `zip_<reason>` for a ZIP that cannot be read safely, however it is malformed; 415 for another
 * type. Error answers close the connection rather than read the rest of the upload. Served
 * outside the proxy, which would buffer the upload and cut it at 10 MB (docs/adr/0028).
 * Recorded as a custody event.
 */
export const POST = memberRoute("evidence.export", async ({ req, orgId, session, requestId, log }) => {
  const report = await verifyUpload(req, { orgId, actorUserId: session.userId, requestId });
  log.info({ ok: report.ok, failures: report.failures.length, manifestSha256: report.manifest?.sha256 }, "evidence verified");
  return Response.json(report);
}, { transaction: false, upload: true });
