import { z } from "zod";
import { handleDialResult, lockCall } from "@/lib/calls/provider-events";
import { config } from "@/lib/config";
import { UnprocessableError } from "@/lib/errors";
import { readQuery } from "@/lib/http/route";
import { buildLaml, LamlPlanError, type LamlInput } from "@/lib/telephony/laml";
import { laml, signalwireRoute } from "@/lib/telephony/webhook-route";

const querySchema = z.object({
  step: z.enum(["start", "whisper", "after-record", "after-dial"], { error: "step must be one of start, whisper, after-record, after-dial." }),
});

/** The LaML document for a step of the call's flow: a pure function of its plan snapshot. */
const handler = signalwireRoute(async (tx, { callId, form, url }) => {
  const { step } = readQuery(url, querySchema);
  const plan = step === "after-dial" ? await handleDialResult(tx, callId, form) : (await lockCall(tx, callId)).plan;
  const input: LamlInput = { step };
  try {
    return laml(buildLaml(plan, input, { callId, baseUrl: config().publicBaseUrl }));
  } catch (err) {
    if (err instanceof LamlPlanError) throw new UnprocessableError(err.message, "laml_step_not_in_flow");
    throw err;
  }
});

export const POST = handler;
export const GET = handler;
