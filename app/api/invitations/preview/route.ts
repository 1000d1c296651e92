import { route } from "@/lib/http/route";
import { previewInvitation } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

/** Organization and role of an open invitation, for the accept page. Nothing about any account. */
export const GET = route(async (req) => {
  const token = new URL(req.url).searchParams.get("token") ?? "";
  return Response.json(await previewInvitation(token));
});
