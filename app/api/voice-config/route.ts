import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { activeOrgId } from "@/lib/auth/active-org";
import { e164Schema, flowSchema, shopperScriptSchema, surveySchema } from "@/lib/calls/plan";
import { readJson, route } from "@/lib/http/route";
import { getVoiceConfig, updateVoiceConfig } from "@/lib/voice-config/voice-config";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const session = await requireSession();
  return Response.json(await getVoiceConfig(session, await activeOrgId(session, req)));
});

const updateSchema = z.strictObject({
  flow: flowSchema.optional(),
  callerId: e164Schema.nullable().optional(),
  operatorPhone: e164Schema.nullable().optional(),
  record: z.boolean().optional(),
  transcribe: z.boolean().optional(),
  translate: z.boolean().optional(),
  translateLanguages: z.array(z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language code such as es or pt-BR")).max(10).optional(),
  survey: surveySchema.nullable().optional(),
  shopperScript: shopperScriptSchema.nullable().optional(),
  disclosureText: z.string().trim().min(1).max(500).optional(),
});

/** Change the organization's defaults (owners and admins; gated modulations need their plan). */
export const PUT = route(async (req, { log }) => {
  const session = await requireSession();
  const orgId = await activeOrgId(session, req);
  const update = await readJson(req, updateSchema, 32 * 1024);
  const result = await updateVoiceConfig(session, orgId, update);
  log.info({ orgId, version: result.config.version }, "voice config changed");
  return Response.json(result);
});
