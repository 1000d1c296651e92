import { readQuery, route } from "@/lib/http/route";
import { invitationPreviewQuerySchema, type InvitationPreview } from "@/lib/orgs/contracts";
import { previewInvitation } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

/** Organization and role of an open invitation, for the accept page. Nothing about any account. */
export const GET = route(async (req) => {
  return Response.json((await previewInvitation(readQuery(req, invitationPreviewQuerySchema).token)) satisfies InvitationPreview);
});
