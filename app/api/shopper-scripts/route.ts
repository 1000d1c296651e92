import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, type ShopperScriptListResponse } from "@/lib/surveys/contracts";
import { shopperScriptDraftSchema } from "@/lib/surveys/documents";
import { shopperScriptVersionView } from "@/lib/telephony/spoken";
import { createWithFirstVersion, listLatest } from "@/lib/surveys/versions";

export const dynamic = "force-dynamic";

/** The organization's shopper scripts, each with its latest version (members who may read survey results). */
export const GET = memberRoute("survey.read", async ({ tx, orgId }) => {
  return Response.json({ shopperScripts: await listLatest(tx, "shopperScript", { orgId }) } satisfies ShopperScriptListResponse);
});

/** A new shopper script: version 1 (owners and admins, insights plan and up). */
export const POST = memberRoute("survey.manage", async ({ tx, orgId, session, body, log }) => {
  const { version } = await createWithFirstVersion(tx, "shopperScript", { orgId, userId: session.userId, draft: body });
  log.info({ orgId, scriptId: version.id, version: version.version }, "shopper script created");
  return Response.json(await shopperScriptVersionView(tx, { orgId, id: version.id, version: version.version }), { status: 201 });
}, { body: shopperScriptDraftSchema, bodyLimit: LIBRARY_BODY_LIMIT });
