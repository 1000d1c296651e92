import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { voiceConfigUpdateSchema } from "@/lib/calls/contracts";
import { readJson, route } from "@/lib/http/route";
import { getVoiceConfig, updateVoiceConfig } from "@/lib/calls/voice-config";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const session = await requireSession();
  return Response.json(await getVoiceConfig(session, await activeOrgId(session, req)));
});

/** Change the organization's defaults (owners and admins; gated modulations need their plan). */
export const PUT = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const update = await readJson(req, voiceConfigUpdateSchema, 32 * 1024);
  const result = await updateVoiceConfig(session, orgId, update);
  log.info({ orgId, version: result.config.version }, "voice config changed");
  return Response.json(result);
});
