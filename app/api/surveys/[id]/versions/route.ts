import { memberRoute } from "@/lib/http/member-route";
import { LIBRARY_BODY_LIMIT, publishSurveyRequestSchema } from "@/lib/surveys/contracts";
import { surveyVersionView } from "@/lib/telephony/spoken";
import { publishNextVersion } from "@/lib/surveys/versions";

export const dynamic = "force-dynamic";

/** Editing a survey publishes its next version; earlier versions stay as they were. */
export const POST = memberRoute<{ id: string }, typeof publishSurveyRequestSchema>("survey.manage", async ({ tx, orgId, session, params, body, log }) => {
  const { version } = await publishNextVersion(tx, "survey", { orgId, userId: session.userId, id: params.id, ...body });
  log.info({ orgId, surveyId: version.id, version: version.version }, "survey version published");
  return Response.json(await surveyVersionView(tx, { orgId, id: version.id, version: version.version }), { status: 201 });
}, { body: publishSurveyRequestSchema, bodyLimit: LIBRARY_BODY_LIMIT });
