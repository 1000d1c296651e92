import { playableRecording } from "@/lib/calls/recording-playback";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/**
 * A short-lived signed URL to the call's stored recording (owners, admins, operators and
 * analysts on Pro and above; an unknown call is 404 first, for everyone).
 */
export const GET = memberRoute<{ id: string }>("operations.view", async ({ tx, membership, params, log }) => {
  const body = await playableRecording(tx, { membership, callId: params.id });
  log.info({ callId: params.id, orgId: membership.orgId }, "recording URL issued");
  return Response.json(body);
});
