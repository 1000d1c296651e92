import { handleGather } from "@/lib/calls/survey-answers";
import { config } from "@/lib/config";
import { readQuery } from "@/lib/http/route";
import { gatherQuerySchema } from "@/lib/telephony/callbacks";
import { buildLaml } from "@/lib/telephony/laml";
import { laml, signalwireRoute } from "@/lib/telephony/webhook-route";

/** A survey Gather action: store the answer, answer with the next question (or the thank-you). */
export const POST = signalwireRoute(async (tx, { callId, form, url }, { log }) => {
  const query = readQuery(url, gatherQuerySchema);
  const { snapshot, next } = await handleGather(tx, callId, { question: query.q, attempt: query.attempt }, form);
  log.info({ callId, question: query.q, attempt: query.attempt, next: next.step }, "survey answer");
  return laml(buildLaml(snapshot, next, { callId, baseUrl: config().publicBaseUrl }));
});
