import { voiceConfigUpdateSchema } from "@/lib/calls/contracts";
import { getVoiceConfig, updateVoiceConfig } from "@/lib/calls/voice-config";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

export const GET = memberRoute("operations.view", async ({ tx, membership }) => {
  return Response.json(await getVoiceConfig(tx, { membership }));
});

/** Change the organization's defaults (owners and admins; gated modulations need their plan). */
export const PUT = memberRoute("voice_config.update", async ({ tx, membership, body, log }) => {
  const result = await updateVoiceConfig(tx, { membership, update: body });
  log.info({ orgId: membership.orgId, version: result.config.version }, "voice config changed");
  return Response.json(result);
}, { body: voiceConfigUpdateSchema, bodyLimit: 32 * 1024 });
