import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, publishShopperScriptRequestSchema } from "@/lib/surveys/contracts";
import { shopperScriptVersionView } from "@/lib/telephony/spoken";
import { publishNextVersion } from "@/lib/surveys/versions";

export const dynamic = "force-dynamic";

/** Editing a shopper script publishes its next version; earlier versions stay as they were. */
export const POST = memberRoute<{ id: string }, typeof publishShopperScriptRequestSchema>("survey.manage", async ({ tx, orgId, session, params, body, log }) => {
  const { version } = await publishNextVersion(tx, "shopperScript", { orgId, userId: session.userId, id: params.id, ...body });
  log.info({ orgId, scriptId: version.id, version: version.version }, "shopper script version published");
  return Response.json(await shopperScriptVersionView(tx, { orgId, id: version.id, version: version.version }), { status: 201 });
}, { body: publishShopperScriptRequestSchema, bodyLimit: LIBRARY_BODY_LIMIT });
