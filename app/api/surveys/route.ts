import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, type SurveyListResponse } from "@/lib/surveys/contracts";
import { surveyDraftSchema } from "@/lib/surveys/documents";
import { surveyVersionView } from "@/lib/telephony/spoken";
import { createWithFirstVersion, listLatest } from "@/lib/surveys/versions";

export const dynamic = "force-dynamic";

/** The organization's surveys, each with its latest version (members who may read survey results). */
export const GET = memberRoute("survey.read", async ({ tx, orgId }) => {
  return Response.json({ surveys: await listLatest(tx, "survey", { orgId }) } satisfies SurveyListResponse);
});

/** A new survey: version 1 (owners and admins, insights plan and up). */
export const POST = memberRoute("survey.manage", async ({ tx, orgId, session, body, log }) => {
  const { version } = await createWithFirstVersion(tx, "survey", { orgId, userId: session.userId, draft: body });
  log.info({ orgId, surveyId: version.id, version: version.version }, "survey created");
  return Response.json(await surveyVersionView(tx, { orgId, id: version.id, version: version.version }), { status: 201 });
}, { body: surveyDraftSchema, bodyLimit: LIBRARY_BODY_LIMIT });
