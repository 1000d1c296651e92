import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, type PreviewResponse } from "@/lib/surveys/contracts";
import { shopperScriptDraftSchema } from "@/lib/surveys/documents";
import { previewShopperScriptDraft } from "@/lib/telephony/spoken";

export const dynamic = "force-dynamic";

/** What LaML would say for a shopper script draft, before it is published; nothing is stored. */
export const POST = memberRoute("survey.manage", async ({ body }) => {
  return Response.json({ spoken: previewShopperScriptDraft(body) } satisfies PreviewResponse);
}, { body: shopperScriptDraftSchema, bodyLimit: LIBRARY_BODY_LIMIT });
