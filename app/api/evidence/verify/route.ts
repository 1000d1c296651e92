import { verifyUpload } from "@/lib/evidence-sealing/verify";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * Verify an evidence bundle (application/zip) or a manifest JWS (application/jose, text/plain)
 * against this server's keys and TSA: owners, admins and analysts. 200 with the report whether
 * or not it verifies (`ok`, and every check that failed, by file, field and proof); 413 above
 * EVIDENCE_VERIFY_MAX_BYTES; 422 for a ZIP that is unsafe to read. Recorded as a custody event.
 */
export const POST = memberRoute("evidence.export", async ({ req, orgId, session, requestId, log }) => {
  const report = await verifyUpload(req, { orgId, actorUserId: session.userId, requestId });
  log.info({ ok: report.ok, failures: report.failures.length, manifestSha256: report.manifest?.sha256 }, "evidence verified");
  return Response.json(report);
}, { transaction: false });
