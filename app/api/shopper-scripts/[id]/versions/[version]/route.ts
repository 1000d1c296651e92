import { memberRoute } from "@/lib/http/member-route";
import { versionParamSchema } from "@/lib/surveys/contracts";
import { shopperScriptVersionView } from "@/lib/telephony/spoken";

export const dynamic = "force-dynamic";

/** One version of a shopper script, as calls that ran it saw it (document, SHA-256, spoken text). */
export const GET = memberRoute<{ id: string; version: string }>("survey.read", async ({ tx, orgId, params }) => {
  const version = versionParamSchema.safeParse(params.version);
  return Response.json(await shopperScriptVersionView(tx, { orgId, id: params.id, version: version.success ? version.data : 0 }));
});
