import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, type PreviewResponse } from "@/lib/surveys/contracts";
import { surveyDraftSchema } from "@/lib/surveys/documents";
import { previewSurveyDraft } from "@/lib/telephony/spoken";

export const dynamic = "force-dynamic";

/** What LaML would say for a survey draft, before it is published; nothing is stored. */
export const POST = memberRoute("survey.manage", async ({ body }) => {
  return Response.json({ spoken: previewSurveyDraft(body) } satisfies PreviewResponse);
}, { body: surveyDraftSchema, bodyLimit: LIBRARY_BODY_LIMIT });
