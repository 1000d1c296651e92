import type { MeResponse } from "@/lib/auth/contracts";
import { loadWorkspace } from "@/lib/auth/active-org";
import { sessionRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** Who is signed in, their memberships and active organization (none yet is not an error here). */
export const GET = sessionRoute(async ({ session }) => {
  const { memberships, active } = await loadWorkspace(session);
  const me: MeResponse = { user: { id: session.userId, email: session.email }, memberships, activeOrgId: active?.orgId ?? null };
  return Response.json(me);
});
