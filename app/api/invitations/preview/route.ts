import { z } from "zod";
import { readQuery, route } from "@/lib/http/route";
import { previewInvitation } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

const querySchema = z.object({ token: z.string().default("") });

/** Organization and role of an open invitation, for the accept page. Nothing about any account. */
export const GET = route(async (req) => {
  return Response.json(await previewInvitation(readQuery(req, querySchema).token));
});
