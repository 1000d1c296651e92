import { memberRoute } from "@/lib/http/member-route";
import { callVcon, vconQuerySchema } from "@/lib/vcon/call-vcon";
import type { z } from "zod";

export const dynamic = "force-dynamic";

/**
 * The call as a vCon (docs/adr/0038): owners, admins and analysts, as for the evidence bundle.
 * `?form=signed` for the JWS form, `?redacted=1` for the redacted form (always, for a member who
 * sees numbers masked). Another organization's call is 404; a call not sealed yet, 409.
 */
export const GET = memberRoute<{ id: string }, z.ZodUndefined, typeof vconQuerySchema>("evidence.export", async ({ tx, membership, session, params, query, requestId, log }) => {
  const vcon = await callVcon(tx, { membership, callId: params.id, actorUserId: session.userId, requestId, query });
  log.info({ callId: params.id, version: vcon.version, uuid: vcon.uuid, form: query.form, redacted: vcon.redacted }, "vcon exported");
  return new Response(vcon.body, {
    headers: { "content-type": vcon.contentType, "content-disposition": `attachment; filename="vcon-${params.id}-v${vcon.version}.json"`, "cache-control": "no-store", "x-vcon-uuid": vcon.uuid },
  });
}, { query: vconQuerySchema });
