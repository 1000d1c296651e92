import { cookies } from "next/headers";
import { z } from "zod";
import { requireSession } from "@/lib/auth";
import { ACTIVE_ORG_COOKIE } from "@/lib/auth/active-org";
import { secureCookies } from "@/lib/auth/cookie-jar";
import { config } from "@/lib/config";
import { readJson, route } from "@/lib/http/route";
import { authorize } from "@/lib/rbac/authorize";

const schema = z.object({ orgId: z.uuid() });

/** Switch the organization the user works in (404 for one they do not belong to). */
export const POST = route(async (req) => {
  const session = await requireSession();
  const { orgId } = await readJson(req, schema);
  const membership = await authorize(session, "operations.view", orgId);
  (await cookies()).set(ACTIVE_ORG_COOKIE, orgId, {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies(config().publicBaseUrl),
    path: "/",
    maxAge: 60 * 60 * 24 * 365,
  });
  return Response.json({ activeOrgId: membership.orgId });
});
