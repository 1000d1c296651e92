import type { z } from "zod";
import { callDetailQuerySchema } from "@/lib/calls/contracts";
import { playableRecording } from "@/lib/call-detail/recording-playback";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * A short-lived signed URL to the call's stored recording (owners, admins, operators and
 * analysts on Pro and above; an unknown call is 404 first, for everyone). A call that redacted
 * PII plays its redacted audio; `?original=1` plays the original (owners and admins).
 */
export const GET = memberRoute<{ id: string }, z.ZodUndefined, typeof callDetailQuerySchema>("operations.view", async ({ tx, membership, params, query, log }) => {
  const original = Boolean(query.original);
  const body = await playableRecording(tx, { membership, callId: params.id, original });
  log.info({ callId: params.id, orgId: membership.orgId, original }, "recording URL issued");
  return Response.json(body);
}, { query: callDetailQuerySchema });
