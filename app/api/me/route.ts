import { requireSession } from "@/lib/auth";
import { loadWorkspace } from "@/lib/auth/active-org";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route(async () => {
  const session = await requireSession();
  const { memberships, active } = await loadWorkspace(session);
  return Response.json({ user: { id: session.userId, email: session.email }, memberships, activeOrgId: active?.orgId ?? null });
});
