import { z } from "zod";
import { handleGather } from "@/lib/calls/provider-events";
import { config } from "@/lib/config";
import { ValidationError } from "@/lib/errors";
import { buildLaml } from "@/lib/telephony/laml";
import { laml, signalwireRoute } from "@/lib/telephony/webhook-route";

const querySchema = z.object({
  q: z.coerce.number().int().min(0).max(20),
  attempt: z.union([z.literal("1"), z.literal("2")]).transform((v) => Number(v) as 1 | 2),
});

/** A survey Gather action: store the answer, answer with the next question (or the thank-you). */
export const POST = signalwireRoute(async (tx, { callId, form, url }, { log }) => {
  const query = querySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) throw new ValidationError("q (question number) and attempt (1 or 2) are required.");
  const { plan, next } = await handleGather(tx, callId, { question: query.data.q, attempt: query.data.attempt }, form);
  log.info({ callId, question: query.data.q, attempt: query.data.attempt, next: next.step }, "survey answer");
  return laml(buildLaml(plan, next, { callId, baseUrl: config().publicBaseUrl }));
});
