import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { chooseActiveOrg } from "@/lib/auth/active-org";
import { readJson, route } from "@/lib/http/route";

const schema = z.object({ orgId: z.uuid() });

/** Choose the organization the user works in, remembered per user (404 for one they do not belong to). */
export const POST = route(async (req) => {
  const session = await requireSession();
  const { orgId } = await readJson(req, schema);
  const membership = await chooseActiveOrg(session, orgId);
  return Response.json({ activeOrgId: membership.orgId });
});
