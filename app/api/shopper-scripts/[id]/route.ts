import { memberRoute } from "@/lib/http/member-route";
import { shopperScriptVersionView } from "@/lib/telephony/spoken";

export const dynamic = "force-dynamic";

/** a shopper script's latest version; another organization's id is 404. */
export const GET = memberRoute<{ id: string }>("survey.read", async ({ tx, orgId, params }) => {
  return Response.json(await shopperScriptVersionView(tx, { orgId, id: params.id }));
});
