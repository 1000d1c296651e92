import { scoreRequestSchema } from "@/lib/calls/contracts";
import { memberRoute } from "@/lib/http/member-route";
import { rescoreCall } from "@/lib/intelligence/scoring";

export const dynamic = "force-dynamic";

/**
 * Re-score a call's transcript with a published version of its shopper script (owners and
 * admins, Insights): `{ version? }`, default the latest. 201 with the new score (it supersedes
 * the previous one); 200 with the existing score when that version scored it already. Another
 * organization's call is 404; no transcript yet, or no shopper script, 409.
 */
export const POST = memberRoute<{ id: string }, typeof scoreRequestSchema>("survey.manage", async ({ membership, params, body, log }) => {
  const { score, created } = await rescoreCall(membership, params.id, body);
  log.info({ callId: params.id, artifactId: score.artifactId, rubric: score.scorecard.rubric, created }, "call scored");
  return Response.json({ score }, { status: created ? 201 : 200 });
}, { body: scoreRequestSchema, optionalBody: true, transaction: false });
