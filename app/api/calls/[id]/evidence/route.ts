import { exportEvidence } from "@/lib/evidence-sealing/export";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * The call's evidence bundle as one streamed ZIP (docs/adr/0017): owners, admins and analysts.
 * Another organization's call is 404; a call not sealed yet, 409. Every export is a custody event.
 */
export const GET = memberRoute<{ id: string }>("evidence.export", async ({ tx, orgId, session, params, requestId, log }) => {
  const bundle = await exportEvidence(tx, { orgId, callId: params.id, actorUserId: session.userId, requestId });
  log.info({ callId: params.id, version: bundle.version, manifestSha256: bundle.manifestSha256 }, "evidence exported");
  return new Response(bundle.body, {
    headers: { "content-type": "application/zip", "content-disposition": `attachment; filename="${bundle.fileName}"`, "cache-control": "no-store", "x-manifest-sha256": bundle.manifestSha256 },
  });
});
