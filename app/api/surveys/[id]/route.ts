import { memberRoute } from "@/lib/http/member-route";
import { surveyVersionView } from "@/lib/telephony/spoken";

export const dynamic = "force-dynamic";

/** A survey's latest version; another organization's id is 404. */
export const GET = memberRoute<{ id: string }>("survey.read", async ({ tx, orgId, params }) => {
  return Response.json(await surveyVersionView(tx, { orgId, id: params.id }));
});
