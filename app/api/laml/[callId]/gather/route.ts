import { z } from "zod";
import { handleGather } from "@/lib/calls/survey-answers";
import { config } from "@/lib/config";
import { readQuery } from "@/lib/http/route";
import { buildLaml } from "@/lib/telephony/laml";
import { laml, signalwireRoute } from "@/lib/telephony/webhook-route";

const querySchema = z.object({
  q: z.string({ error: "q (question number) is required" }).regex(/^\d{1,2}$/, "q must be a question number").transform(Number).pipe(z.number().max(20)),
  attempt: z.enum(["1", "2"], { error: "attempt must be 1 or 2" }).transform((v) => Number(v) as 1 | 2),
});

/** A survey Gather action: store the answer, answer with the next question (or the thank-you). */
export const POST = signalwireRoute(async (tx, { callId, form, url }, { log }) => {
  const query = readQuery(url, querySchema);
  const { snapshot, next } = await handleGather(tx, callId, { question: query.q, attempt: query.attempt }, form);
  log.info({ callId, question: query.q, attempt: query.attempt, next: next.step }, "survey answer");
  return laml(buildLaml(snapshot, next, { callId, baseUrl: config().publicBaseUrl }));
});
